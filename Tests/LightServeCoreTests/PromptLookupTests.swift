import LightServeCore
import Testing

@Suite struct PromptLookupTests {
    @Test func proposesTheContinuationOfTheLongestEarlierMatch() {
        // "1 2 3 9 …" and "5 2 3 7 …": the end "… 1 2 3" matches the first occurrence over three
        // tokens and the second over two, so the first's continuation is proposed.
        let tokens: [Int32] = [1, 2, 3, 9, 8, 5, 2, 3, 7, 6, 1, 2, 3]
        #expect(PromptLookup().propose(after: tokens, count: 2) == [9, 8])
    }

    @Test func prefersTheLatestOfEquallyLongMatches() {
        let tokens: [Int32] = [4, 5, 10, 11, 4, 5, 20, 21, 4, 5]
        #expect(PromptLookup().propose(after: tokens, count: 2) == [20, 21])
    }

    @Test func proposesNothingBelowTheMinimumMatch() {
        // The last token alone recurs, but never after the one before it.
        let tokens: [Int32] = [7, 1, 2, 8, 1]
        #expect(PromptLookup().propose(after: tokens, count: 4).isEmpty)
        #expect(PromptLookup(minimumMatch: 1).propose(after: tokens, count: 4) == [2, 8, 1])
    }

    @Test func continuationStopsAtTheEndOfTheTokensAndAtTheCount() {
        // A repeating pattern: the latest match ends two tokens before the end.
        let tokens: [Int32] = [1, 2, 1, 2, 1, 2]
        #expect(PromptLookup().propose(after: tokens, count: 8) == [1, 2])
        #expect(PromptLookup().propose(after: tokens, count: 1) == [1])
        #expect(PromptLookup().propose(after: tokens, count: 0).isEmpty)
    }

    @Test func shortOrEmptyHistoryProposesNothing() {
        #expect(PromptLookup().propose(after: [], count: 3).isEmpty)
        #expect(PromptLookup().propose(after: [1, 1], count: 3).isEmpty)
    }

    @Test func matchesLongerThanTheMaximumCountAsTheMaximum() {
        // Both occurrences match at least the maximum (3), so the later one wins though the
        // earlier matches longer.
        let tokens: [Int32] = [9, 1, 2, 3, 40, 0, 1, 2, 3, 50, 9, 1, 2, 3]
        #expect(PromptLookup(minimumMatch: 2, maximumMatch: 3).propose(after: tokens, count: 1) == [50])
        #expect(PromptLookup(minimumMatch: 2, maximumMatch: 16).propose(after: tokens, count: 1) == [40])
    }
}
