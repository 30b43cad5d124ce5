import Synchronization

/// How long a stage spent on each item over a sliding window: the figures behind
/// `/debug/stages` (items per second, busy fraction, p50/p99 service time).
public final class ServiceStatistics: Sendable {
    /// Seconds of history kept.
    public let window: Duration
    private let samples = Mutex<[(end: ContinuousClock.Instant, duration: Duration)]>([])
    private let started = ContinuousClock.now

    public init(window: Duration = .seconds(60)) {
        self.window = window
    }

    /// Records one item's service time.
    public func record(duration: Duration, end: ContinuousClock.Instant = .now) {
        samples.withLock { samples in
            samples.append((end, duration))
            let horizon = end - window
            if let first = samples.first, first.end < horizon {
                samples.removeAll { $0.end < horizon }
            }
        }
    }

    public struct Summary: Sendable, Equatable {
        public var items: Int
        public var itemsPerSecond: Double
        /// Fraction of the window the stage spent working.
        public var busyFraction: Double
        public var p50: Duration
        public var p99: Duration
    }

    /// Figures over the window (or since start, if that is shorter).
    public func summary(now: ContinuousClock.Instant = .now) -> Summary {
        let horizon = now - window
        let recent = samples.withLock { $0.filter { $0.end >= horizon } }
        let span = min(window, now - started)
        let seconds = max(span.seconds, 1e-3)
        let sorted = recent.map(\.duration).sorted()
        func percentile(_ p: Double) -> Duration {
            sorted.isEmpty ? .zero : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        let busy = recent.reduce(Duration.zero) { $0 + $1.duration }
        return Summary(
            items: recent.count, itemsPerSecond: Double(recent.count) / seconds,
            busyFraction: min(1, busy.seconds / seconds), p50: percentile(0.5), p99: percentile(0.99))
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
