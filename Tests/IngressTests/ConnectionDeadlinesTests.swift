import NIOCore
import Testing

@testable import Ingress

/// The deadlines a connection's client is held to, event by event, on a made-up clock.
@Suite struct ConnectionDeadlinesTests {
    static let limits = ConnectionLimits(
        headerTimeout: .seconds(10), bodyTimeout: .seconds(30), idleTimeout: .seconds(60), maxConnections: 8)
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func testANewConnectionOwesItsHeadWithinTheHeaderTimeout() {
        let deadlines = ConnectionDeadlines(limits: Self.limits, openedAt: Self.at(0))
        #expect(deadlines.next?.due == Self.at(10) && deadlines.next?.wait == .header)
        #expect(deadlines.expired(at: Self.at(9)) == nil)
        #expect(deadlines.expired(at: Self.at(10)) == .header)
    }

    @Test func testBytesThatCompleteNoHeadDoNotMoveTheHeadDeadline() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, openedAt: Self.at(0))
        for second in 1...9 { deadlines.bytesArrived(completedParts: false, at: Self.at(Int64(second))) }
        #expect(deadlines.next?.due == Self.at(10) && deadlines.next?.wait == .header)
    }

    @Test func testTheBodyIsDueAfterTheHeadAndAResponseHasNoDeadline() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, openedAt: Self.at(0))
        deadlines.headRead(at: Self.at(2))
        #expect(deadlines.next?.due == Self.at(32) && deadlines.next?.wait == .body)
        deadlines.endRead(at: Self.at(5))
        #expect(deadlines.next == nil, "a response may stream for as long as it takes")
        #expect(deadlines.expired(at: Self.at(100_000)) == nil)
        deadlines.responseEnded(at: Self.at(500))
        #expect(deadlines.next?.due == Self.at(560) && deadlines.next?.wait == .idle)
    }

    @Test func testTheNextRequestsFirstBytesStartItsHeadDeadline() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, openedAt: Self.at(0))
        deadlines.headRead(at: Self.at(1))
        deadlines.endRead(at: Self.at(1))
        deadlines.responseEnded(at: Self.at(2))
        #expect(deadlines.next?.wait == .idle)
        deadlines.bytesArrived(completedParts: true, at: Self.at(3))
        #expect(deadlines.next?.wait == .idle, "bytes that completed parts are the last request's")
        deadlines.bytesArrived(completedParts: false, at: Self.at(20))
        #expect(deadlines.next?.due == Self.at(30) && deadlines.next?.wait == .header)
        deadlines.bytesArrived(completedParts: false, at: Self.at(25))
        #expect(deadlines.next?.due == Self.at(30), "trickling does not extend the head deadline")
        deadlines.headRead(at: Self.at(26))
        #expect(deadlines.next?.due == Self.at(56) && deadlines.next?.wait == .body)
    }

    @Test func testAnAnswerSentBeforeTheBodyLeavesTheBodyDeadlineInForce() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, openedAt: Self.at(0))
        deadlines.headRead(at: Self.at(1))
        deadlines.responseEnded(at: Self.at(2))  // 401, 413 or 415 before the body was read
        #expect(deadlines.next?.due == Self.at(31) && deadlines.next?.wait == .body)
        deadlines.endRead(at: Self.at(4))
        #expect(deadlines.next?.due == Self.at(64) && deadlines.next?.wait == .idle)
    }

    @Test func testAPipelinedBodyIsTimedFromTheEndOfTheResponseBeforeIt() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, openedAt: Self.at(0))
        deadlines.headRead(at: Self.at(1))
        deadlines.endRead(at: Self.at(1))
        deadlines.headRead(at: Self.at(2))
        #expect(deadlines.next == nil, "the first response is still being written")
        deadlines.responseEnded(at: Self.at(100))
        #expect(deadlines.next?.due == Self.at(130) && deadlines.next?.wait == .body)
        deadlines.endRead(at: Self.at(101))
        #expect(deadlines.next == nil)
        deadlines.responseEnded(at: Self.at(102))
        #expect(deadlines.next?.due == Self.at(162) && deadlines.next?.wait == .idle)
    }
}
