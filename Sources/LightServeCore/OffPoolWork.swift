import Dispatch

/// Runs work that blocks or computes for long (trace-file writes, compiling an output
/// constraint) on a queue of its own, so that Swift's cooperative pool, two threads on a
/// two-core machine, keeps serving requests meanwhile.
public enum OffPoolWork {
    private static let queue = DispatchQueue(label: "lightserve.off-pool", qos: .utility)

    /// `work`'s result, computed on the off-pool queue.
    public static func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { () throws(E) -> T in try work() }) }
        }
        return try result.get()
    }
}
