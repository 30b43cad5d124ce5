import LightServeCore
import Testing

/// The trace ring hands readers its spans in chunks (the Execute stage records into the same
/// lock every step); the chunks must join into exactly what a single copy would give.
@Suite struct TraceRecorderTests {
    static func record(_ count: Int, into trace: TraceRecorder, from first: Int = 0) {
        let now = ContinuousClock.now
        for i in first..<(first + count) { trace.record(.stage("s"), "\(i)", from: now, to: now) }
    }

    @Test func testChunkedReadReturnsTheNewestSpansInOrderAcrossTheRingWrap() {
        let trace = TraceRecorder(capacity: 5_000)
        Self.record(12_345, into: trace)
        let (all, cursor) = trace.spans(after: 0)
        #expect(cursor == 12_345)
        #expect(all.map(\.name) == (7_345..<12_345).map(String.init))
        let (tail, next) = trace.spans(after: 12_335)
        #expect(tail.map(\.name) == (12_335..<12_345).map(String.init) && next == 12_345)
        #expect(trace.spans(after: 12_345).spans.isEmpty)
    }

    @Test func testReadingWhileAnotherThreadRecordsNeverLosesOrder() async {
        let trace = TraceRecorder(capacity: 3 * TraceRecorder.copyChunk + 17)
        Self.record(trace.capacity, into: trace)
        let writer = Task.detached { Self.record(20_000, into: trace, from: trace.capacity) }
        var cursor: UInt64 = 0
        var last = -1
        while cursor < UInt64(trace.capacity + 20_000) {
            let (spans, next) = trace.spans(after: cursor)
            for span in spans {
                let value = Int(span.name)!
                #expect(value > last, "spans come oldest first, each once")
                last = value
            }
            cursor = next
        }
        await writer.value
        #expect(last == trace.capacity + 20_000 - 1)
    }
}
