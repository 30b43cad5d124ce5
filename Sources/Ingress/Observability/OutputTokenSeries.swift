import Synchronization

/// Output tokens counted per wall-clock second over the last minutes: the series behind the
/// console's tokens/s plot (`/debug/throughput`). Ingress adds every token it hands to a client
/// as it goes by; a reader gets whole seconds, oldest first. Recording is a lock and an add
/// into a ring of per-second buckets, so nothing waits on a reader and nothing runs when idle.
public final class OutputTokenSeries: Sendable {
    /// Seconds of history kept.
    public let length: Int
    private let origin: ContinuousClock.Instant
    private let state: Mutex<State>

    private struct State {
        var buckets: [Int]
        /// The latest second (since `origin`) any bucket belongs to.
        var newest = 0
        var total = 0

        /// Empties the buckets of the seconds between the newest one and `second`.
        mutating func advance(to second: Int) {
            guard second > newest else { return }
            for s in (newest + 1)...min(second, newest + buckets.count) { buckets[s % buckets.count] = 0 }
            newest = second
        }
    }

    /// What a reader sees at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// Tokens in each of the last whole seconds, oldest first.
        public var perSecond: [Int]
        /// Tokens so far in the second that is still running.
        public var currentSecond: Int
        /// Tokens since the server started.
        public var total: Int
    }

    /// The seconds a series keeps unless told otherwise.
    public static let defaultSeconds = 300

    public init(seconds: Int = defaultSeconds, origin: ContinuousClock.Instant = .now) {
        self.length = max(1, seconds)
        self.origin = origin
        self.state = Mutex(State(buckets: Array(repeating: 0, count: max(1, seconds))))
    }

    /// Counts `tokens` output tokens at `instant`.
    public func record(_ tokens: Int, at instant: ContinuousClock.Instant = .now) {
        let second = self.second(of: instant)
        state.withLock { state in
            state.advance(to: second)
            if second > state.newest - state.buckets.count {
                state.buckets[second % state.buckets.count] += tokens
            }
            state.total += tokens
        }
    }

    /// The last `seconds` whole seconds before `now` (at most `length`), the running second and the total.
    public func snapshot(seconds: Int, at now: ContinuousClock.Instant = .now) -> Snapshot {
        let second = self.second(of: now)
        let count = min(max(seconds, 0), length - 1)
        return state.withLock { state in
            state.advance(to: second)
            let perSecond = ((second - count)..<second).map { $0 < 0 ? 0 : state.buckets[$0 % state.buckets.count] }
            return Snapshot(perSecond: perSecond, currentSecond: state.buckets[second % state.buckets.count], total: state.total)
        }
    }

    private func second(of instant: ContinuousClock.Instant) -> Int {
        let elapsed = (instant - origin).components.seconds
        return elapsed < 0 ? 0 : Int(elapsed)
    }
}
