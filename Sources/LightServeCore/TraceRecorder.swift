import Synchronization

/// Timestamps of the pipeline's work, kept in a bounded ring: spans on one track per stage and
/// one per request, plus the engine's steps with their batch composition. Exported as Chrome
/// trace events (`--trace-file`, `/debug/trace`) so a developer sees where each request's time
/// went. Recording is a lock and an append; with capacity 0 it does nothing.
public final class TraceRecorder: Sendable {
    public enum Track: Sendable, Hashable {
        case stage(String)
        case request(RequestID)
    }

    /// One span (or, when `end == start`, one instant).
    public struct Span: Sendable {
        public var track: Track
        public var name: String
        public var start: ContinuousClock.Instant
        public var end: ContinuousClock.Instant
        public var arguments: [(String, String)]

        public init(track: Track, name: String, start: ContinuousClock.Instant, end: ContinuousClock.Instant, arguments: [(String, String)] = []) {
            self.track = track
            self.name = name
            self.start = start
            self.end = end
            self.arguments = arguments
        }
    }

    private struct Ring {
        var spans: [Span] = []
        var next = 0
        /// Spans ever recorded; span `i` of the ring has sequence number `total - count + i`.
        var total: UInt64 = 0
    }

    /// Spans kept; older ones are overwritten.
    public let capacity: Int
    /// Time zero of exported timestamps.
    public let origin: ContinuousClock.Instant
    private let ring = Mutex(Ring())

    public init(capacity: Int, origin: ContinuousClock.Instant = .now) {
        self.capacity = max(0, capacity)
        self.origin = origin
    }

    public var isEnabled: Bool { capacity > 0 }

    public func record(_ span: Span) {
        guard capacity > 0 else { return }
        ring.withLock { ring in
            if ring.spans.count < capacity {
                ring.spans.append(span)
            } else {
                ring.spans[ring.next] = span
            }
            ring.next = (ring.next + 1) % capacity
            ring.total += 1
        }
    }

    public func record(
        _ track: Track, _ name: String, from start: ContinuousClock.Instant, to end: ContinuousClock.Instant = .now,
        _ arguments: [(String, String)] = []
    ) {
        record(Span(track: track, name: name, start: start, end: end, arguments: arguments))
    }

    /// Spans recorded after sequence number `cursor`, oldest first, and the cursor to pass next
    /// time (spans overwritten in between are lost).
    ///
    /// The Execute stage records into the same lock every step, so a reader copies at most
    /// ``copyChunk`` spans per hold of the lock: copying all 200,000 at once would stall the
    /// engine for milliseconds.
    public func spans(after cursor: UInt64) -> (spans: [Span], cursor: UInt64) {
        let end = ring.withLock { $0.total }
        var spans: [Span] = []
        var next = cursor
        while next < end {
            let (chunk, reached) = ring.withLock { ring -> ([Span], UInt64) in
                let oldest = ring.total - UInt64(ring.spans.count)
                let from = max(next, oldest)
                let count = Int(min(end - min(from, end), UInt64(Self.copyChunk)))
                guard count > 0 else { return ([], end) }
                let start = (ring.spans.count < capacity ? 0 : ring.next) + Int(from - oldest)
                return ((0..<count).map { ring.spans[(start + $0) % ring.spans.count] }, from + UInt64(count))
            }
            spans += chunk
            next = reached
        }
        return (spans, max(next, end))
    }

    /// Spans copied per hold of the lock by readers.
    public static let copyChunk = 2048

    /// Spans that ended at or after `since`.
    public func spans(endingAfter since: ContinuousClock.Instant) -> [Span] {
        spans(after: 0).spans.filter { $0.end >= since }
    }
}
