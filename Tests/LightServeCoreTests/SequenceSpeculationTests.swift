import LightServeCore
import Testing

@Suite struct SequenceSpeculationTests {
    /// Step costs measured in a spell where one-row steps ran fast: two rows cost 1.44 of one.
    static let dearRows = StepCostProfile(rows: [1, 2, 3, 4], costs: [1, 1.44, 1.93, 2.36])

    @Test func promptLookupDraftsFromTheFirstStepWhereEvenOddsWouldNotPay() throws {
        let policy = DraftLengthPolicy(maxTokens: 4, costs: Self.dearRows)
        // At even odds one drafted token yields 1.5 tokens for 1.44 steps, short of the 5% margin.
        #expect(policy.length(acceptance: 0.5, decodingRows: 1) == 0)
        let lookup = SpeculativeDecoding(drafter: .promptLookup(PromptLookup()), lengths: policy)
        var fresh = SequenceSpeculation()
        let planned = fresh.plan(lookup, history: [1, 2, 3, 4, 1, 2], limit: 4, decodingRows: 1)
        let plan = try #require(planned)
        #expect(plan.tokens == [3])
        #expect(plan.draft == .lookup)
    }
}
