import LightServeCore
import Testing

@testable import Schedule

@Suite struct PrefixCacheTests {
    @Test func testLongestPrefixIsFoundAndLocked() {
        var cache = PrefixCache()
        let (node, cached) = cache.insert([1, 2, 3, 4], slots: [10, 11, 12, 13], replacing: PrefixCache.root)
        #expect(cached == 0 && cache.cachedSlots == 4 && cache.lockedSlots == 4)
        cache.release(node)
        #expect(cache.evictableSlots == 4)
        let (slots, hit) = cache.acquire([1, 2, 3, 9], limit: 3)
        #expect(slots == [10, 11, 12])
        #expect(cache.lockedSlots == 3, "the match splits the node; only the matched part is locked")
        #expect(cache.evict(10) == [13], "the unlocked suffix goes, the locked prefix stays")
        cache.release(hit)
        #expect(cache.evict(10) == [10, 11, 12])
        #expect(cache.cachedSlots == 0 && cache.nodeCount == 1)
    }

    @Test func testLimitLeavesTheLastTokenToRun() {
        var cache = PrefixCache()
        let (node, _) = cache.insert([5, 6, 7], slots: [1, 2, 3], replacing: PrefixCache.root)
        cache.release(node)
        #expect(cache.acquire([5, 6, 7], limit: 2).slots == [1, 2])
    }

    @Test func testEvictionIsLeastRecentlyUsedAmongUnlockedLeaves() {
        var cache = PrefixCache()
        let a = cache.insert([1, 2], slots: [1, 2], replacing: PrefixCache.root).node
        let b = cache.insert([3, 4], slots: [3, 4], replacing: PrefixCache.root).node
        cache.release(b)
        cache.release(a)  // a used last
        #expect(cache.evict(1) == [3, 4])
        #expect(cache.evict(1) == [1, 2])
        #expect(cache.evict(1).isEmpty)
    }

    @Test func testInsertingBelowAnExistingPathAddsOnlyTheNewTail() {
        var cache = PrefixCache()
        let first = cache.insert([1, 2, 3], slots: [1, 2, 3], replacing: PrefixCache.root).node
        let (second, cached) = cache.insert([1, 2, 3, 4, 5], slots: [7, 8, 9, 4, 5], replacing: PrefixCache.root)
        #expect(cached == 3)
        #expect(cache.cachedSlots == 5)
        cache.release(first)
        cache.release(second)
        var fresh = cache
        #expect(fresh.acquire([1, 2, 3, 4, 5, 6], limit: 5).slots == [1, 2, 3, 4, 5])
    }

    @Test func testSharedPromptIsPrefilledOnceAndItsSlotsSurviveTheRequest() {
        var m = SchedulerStateMachine(configuration: SchedulerConfiguration(
            kvCapacity: 1000, maxRunningSequences: 8, batchMaxTokens: 64, stopTokens: [2]))
        let system: [Int32] = Array(500..<530)
        let first = SchedulerStateMachineTests.admission(prompt: 0, maxNew: 2, tokens: system + [7, 8])
        var step = SchedulerStateMachineTests.steps(m.admit(first))[0]
        #expect(step.rows[0].tokens.count == 32)
        step = SchedulerStateMachineTests.steps(SchedulerStateMachineTests.complete(step, on: &m))[0]
        _ = SchedulerStateMachineTests.complete(step, on: &m)
        #expect(m.runningCount == 0)
        #expect(m.usedSlots == 0, "cached prompt slots are not held by anyone")
        #expect(m.cachedSlots == 32)

        let second = SchedulerStateMachineTests.admission(prompt: 0, maxNew: 2, tokens: system + [9, 9, 9])
        let reuse = SchedulerStateMachineTests.steps(m.admit(second))[0]
        #expect(reuse.rows[0].position == 30, "the shared 30-token head is reused")
        #expect(reuse.rows[0].tokens == [9, 9, 9])
        #expect(Array(reuse.rows[0].slots[..<30]) == Array(step.rows[0].slots[..<30]))
        #expect(m.snapshot.prefixTokensReused == 30 && m.snapshot.prefixTokensLookedUp == 65)
    }

    @Test func testCachedPrefixesAreEvictedWhenThePoolNeedsRoom() {
        var m = SchedulerStateMachine(configuration: SchedulerConfiguration(
            kvCapacity: 40, maxRunningSequences: 8, batchMaxTokens: 64, stopTokens: [2]))
        var step = SchedulerStateMachineTests.steps(m.admit(SchedulerStateMachineTests.admission(prompt: 30, maxNew: 1)))[0]
        _ = SchedulerStateMachineTests.complete(step, on: &m)
        #expect(m.cachedSlots == 30 && m.usedSlots == 0)
        // A different 35-token prompt needs room the cache holds.
        step = SchedulerStateMachineTests.steps(m.admit(SchedulerStateMachineTests.admission(prompt: 35, maxNew: 2)))[0]
        #expect(step.rows[0].tokens.count == 35)
        #expect(m.cachedSlots < 30)
    }

    @Test func testPrefixCachingCanBeTurnedOff() {
        var m = SchedulerStateMachine(configuration: SchedulerConfiguration(
            kvCapacity: 1000, maxRunningSequences: 8, batchMaxTokens: 64, stopTokens: [2], prefixCaching: false))
        let prompt: [Int32] = Array(1...20)
        var step = SchedulerStateMachineTests.steps(m.admit(SchedulerStateMachineTests.admission(prompt: 0, maxNew: 1, tokens: prompt)))[0]
        _ = SchedulerStateMachineTests.complete(step, on: &m)
        step = SchedulerStateMachineTests.steps(m.admit(SchedulerStateMachineTests.admission(prompt: 0, maxNew: 1, tokens: prompt)))[0]
        #expect(step.rows[0].tokens.count == 20 && m.cachedSlots == 0)
    }
}
