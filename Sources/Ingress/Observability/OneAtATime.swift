import Synchronization

/// Runs one piece of work at a time and turns the others away at once instead of queueing
/// them: `/debug/trace` copies and serialises up to the whole trace ring per call, and a second
/// export meanwhile gets 429 rather than a second copy.
final class OneAtATime: Sendable {
    private let busy = Atomic<Bool>(false)

    /// `work`'s result, or nil without running it if other work is running.
    func run<T>(_ work: () async throws -> T) async rethrows -> T? {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return nil }
        defer { busy.store(false, ordering: .releasing) }
        return try await work()
    }
}
