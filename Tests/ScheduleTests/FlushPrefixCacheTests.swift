import LightServeCore
import Testing

@testable import Schedule

/// `POST /flush_cache` reaches the scheduler as a message; this is what the state machine does
/// with it.
@Suite struct FlushPrefixCacheTests {
    typealias T = SchedulerStateMachineTests

    @Test func testFlushFreesEveryUnusedCachedPrefixSoTheNextPromptIsComputedInFull() {
        var m = SchedulerStateMachine(configuration: SchedulerConfiguration(
            kvCapacity: 1000, maxRunningSequences: 8, batchMaxTokens: 64, stopTokens: [2]))
        let prompt: [Int32] = Array(100..<130)
        let step = T.steps(m.admit(T.admission(prompt: 0, maxNew: 1, tokens: prompt)))[0]
        _ = T.complete(step, on: &m)
        #expect(m.cachedSlots == 30 && m.usedSlots == 0)

        #expect(m.flushPrefixCache() == 30)
        #expect(m.cachedSlots == 0 && m.usedSlots == 0)
        #expect(m.flushPrefixCache() == 0)
        let again = T.steps(m.admit(T.admission(prompt: 0, maxNew: 1, tokens: prompt)))[0]
        #expect(again.rows[0].position == 0 && again.rows[0].tokens.count == 30, "nothing was left to reuse")
    }

    @Test func testFlushKeepsThePrefixARunningSequenceUses() {
        var m = SchedulerStateMachine(configuration: SchedulerConfiguration(
            kvCapacity: 1000, maxRunningSequences: 8, batchMaxTokens: 64, stopTokens: [2]))
        let old: [Int32] = Array(200..<220)
        _ = T.complete(T.steps(m.admit(T.admission(prompt: 0, maxNew: 1, tokens: old)))[0], on: &m)
        // A second request prefills (its prompt goes to the cache) and keeps decoding.
        let live: [Int32] = Array(300..<325)
        let prefill = T.steps(m.admit(T.admission(prompt: 0, maxNew: 8, tokens: live)))[0]
        _ = T.complete(prefill, on: &m)
        #expect(m.runningCount == 1 && m.cachedSlots == 45)

        #expect(m.flushPrefixCache() == 20, "only the finished request's prefix goes")
        #expect(m.cachedSlots == 25)
        #expect(m.snapshot.heldSlots == m.usedSlots)
    }
}
