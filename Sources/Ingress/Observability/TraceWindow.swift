import LightServeCore
import Synchronization

/// The last minute of the trace, kept up to date incrementally for the console's refreshing
/// timeline (`/debug/timeline`). Each read takes from the recorder only the spans recorded since
/// the previous read, so a page polling every few seconds holds the recorder's lock (which the
/// stages take to record) for a few thousand spans at most, where `/debug/trace` copies the
/// whole ring each time.
final class TraceWindow: Sendable {
    let recorder: TraceRecorder
    /// Spans ending longer ago than this are dropped.
    let keep: Duration
    private let state = Mutex<(cursor: UInt64, spans: [TraceRecorder.Span])>((0, []))

    /// How much of the trace the window keeps unless told otherwise.
    static let defaultKeep = Duration.seconds(60)

    init(recorder: TraceRecorder, keep: Duration = defaultKeep) {
        self.recorder = recorder
        self.keep = keep
    }

    /// Spans that ended at or after `since` (no earlier than `keep` before `now`).
    func spans(endingAfter since: ContinuousClock.Instant, now: ContinuousClock.Instant = .now) -> [TraceRecorder.Span] {
        state.withLock { state in
            let (new, cursor) = recorder.spans(after: state.cursor)
            state.cursor = cursor
            state.spans += new
            let horizon = now - keep
            state.spans.removeAll { $0.end < horizon }
            return state.spans.filter { $0.end >= since }
        }
    }
}
