@testable import Ingress
import Testing

@Suite struct OutputTokenSeriesTests {
    @Test func testTokensLandInTheSecondTheyWereSent() {
        let origin = ContinuousClock.now
        let series = OutputTokenSeries(seconds: 10, origin: origin)
        series.record(3, at: origin + .milliseconds(100))
        series.record(4, at: origin + .milliseconds(900))
        series.record(5, at: origin + .milliseconds(1500))
        series.record(7, at: origin + .milliseconds(3200))
        let snapshot = series.snapshot(seconds: 5, at: origin + .milliseconds(3700))
        // Seconds before the series began read as zero; the running second is apart.
        #expect(snapshot == OutputTokenSeries.Snapshot(perSecond: [0, 0, 7, 5, 0], currentSecond: 7, total: 19))
    }

    @Test func testSecondsOlderThanTheWindowAreForgottenButCounted() {
        let origin = ContinuousClock.now
        let series = OutputTokenSeries(seconds: 4, origin: origin)
        series.record(2, at: origin)
        series.record(9, at: origin + .seconds(2))
        // At most `length - 1` whole seconds: the ring also holds the running one.
        #expect(series.snapshot(seconds: 10, at: origin + .seconds(3)).perSecond == [2, 0, 9])
        series.record(1, at: origin + .seconds(20))
        #expect(series.snapshot(seconds: 3, at: origin + .milliseconds(20_500))
            == OutputTokenSeries.Snapshot(perSecond: [0, 0, 0], currentSecond: 1, total: 12))
        // A record that arrives late lands in its own second if that is still kept...
        series.record(6, at: origin + .seconds(19))
        // ...and only in the total if it is not.
        series.record(5, at: origin + .seconds(2))
        #expect(series.snapshot(seconds: 3, at: origin + .milliseconds(20_500))
            == OutputTokenSeries.Snapshot(perSecond: [0, 0, 6], currentSecond: 1, total: 23))
    }

    @Test func testAnIdleGapLongerThanTheWindowLeavesOnlyZeros() {
        let origin = ContinuousClock.now
        let series = OutputTokenSeries(seconds: 5, origin: origin)
        for second in 0..<5 { series.record(second + 1, at: origin + .seconds(second)) }
        #expect(series.snapshot(seconds: 4, at: origin + .seconds(4)).perSecond == [1, 2, 3, 4])
        #expect(series.snapshot(seconds: 4, at: origin + .seconds(100)).perSecond == [0, 0, 0, 0])
        #expect(series.snapshot(seconds: 4, at: origin + .seconds(100)).total == 15)
    }
}
