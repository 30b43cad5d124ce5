import LightServeCore
import Testing

@Suite struct DraftLengthPolicyTests {
    /// One stream's step bound by reading the weights (a few rows nearly free), the cost rising
    /// with the rows beyond.
    static let memoryBound = StepCostProfile(rows: [1, 2, 4, 8, 16, 64], costs: [1, 1.05, 1.15, 1.4, 2, 8])

    @Test func stepCostInterpolatesBetweenMeasuredRowsAndGrowsInProportionBeyondThem() {
        let costs = Self.memoryBound
        #expect(costs.cost(rows: 1) == 1)
        #expect(abs(costs.cost(rows: 3) - 1.1) < 1e-12)
        #expect(abs(costs.cost(rows: 12) - 1.7) < 1e-12)
        #expect(abs(costs.cost(rows: 128) - 16) < 1e-12)
        // Beyond the widest measured, in proportion to the rows, whatever the slope before it.
        let uneven = StepCostProfile(rows: [1, 8, 16], costs: [1, 4.8, 4.3])
        #expect(abs(uneven.cost(rows: 40) - 10.75) < 1e-12)
    }

    @Test func likelyDraftsAreLongAndUnlikelyOnesAreNotMade() {
        let policy = DraftLengthPolicy(maxTokens: 8, costs: Self.memoryBound)
        let sure = policy.length(acceptance: 0.9, decodingRows: 1)
        let doubtful = policy.length(acceptance: 0.3, decodingRows: 1)
        #expect(sure > doubtful && sure >= 4)
        #expect(policy.length(acceptance: 0.01, decodingRows: 1) == 0)
    }

    @Test func aLargeBatchTurnsSpeculationOff() {
        let policy = DraftLengthPolicy(maxTokens: 8, costs: Self.memoryBound)
        #expect(policy.length(acceptance: 0.6, decodingRows: 1) > 0)
        #expect(policy.length(acceptance: 0.6, decodingRows: 32) == 0)
    }

    @Test func aFixedPolicyAlwaysDraftsItsMaximum() {
        let fixed = DraftLengthPolicy.fixed(5)
        #expect(fixed.length(acceptance: 0.01, decodingRows: 64) == 5)
        #expect(fixed.length(acceptance: 0.9, decodingRows: 1) == 5)
    }

    @Test func aDraftModelsOwnCostShortensTheDraft() {
        var costs = Self.memoryBound
        let free = DraftLengthPolicy(maxTokens: 8, costs: costs).length(acceptance: 0.7, decodingRows: 1)
        costs.draftTokenCost = 0.3
        let paid = DraftLengthPolicy(maxTokens: 8, costs: costs).length(acceptance: 0.7, decodingRows: 1)
        #expect(paid < free)
    }

    @Test func leastDraftingAcceptanceIsWhereAOneTokenDraftFirstPays() throws {
        // One token yields 1 + α for a two-row step (1.3) plus a drafted token (0.38): with the
        // 5% margin it pays from α = 1.05 · 1.68 - 1 = 0.764.
        var costs = StepCostProfile(rows: [1, 2, 4, 8], costs: [1, 1.3, 2.3, 3.8])
        costs.draftTokenCost = 0.38
        let policy = DraftLengthPolicy(maxTokens: 8, costs: costs)
        let least = try #require(policy.leastDraftingAcceptance(decodingRows: 1))
        #expect(abs(least - 0.764) < 0.002)
        #expect(policy.length(acceptance: least - 0.002, decodingRows: 1) == 0)
        #expect(policy.length(acceptance: least, decodingRows: 1) > 0)
        // Where even an always-accepted draft costs more than it yields, no rate drafts.
        var dear = costs
        dear.draftTokenCost = 1.5
        #expect(DraftLengthPolicy(maxTokens: 8, costs: dear).leastDraftingAcceptance(decodingRows: 1) == nil)
    }

    @Test func expectedGainCountsTheAcceptedPrefixAndTheTokenAfterIt() {
        let flat = DraftLengthPolicy(maxTokens: 4, costs: StepCostProfile(rows: [1, 8], costs: [1, 1]))
        // 1 + α + α² over a step that costs what a plain one does.
        #expect(abs(flat.gain(length: 2, acceptance: 0.5, decodingRows: 1) - 1.75) < 1e-12)
        #expect(flat.gain(length: 3, acceptance: 1, decodingRows: 1) == 4)
    }

    @Test func acceptanceRateLearnsFromDraftsAndFadesBackToThePrior() {
        let prior = 0.5
        var estimate = AcceptanceEstimate()
        #expect(estimate.rate(prior: prior) == prior)
        for _ in 0..<5 { estimate.record(drafted: 4, accepted: 4) }
        #expect(estimate.rate(prior: prior) > 0.9)
        #expect(estimate.draftedTotal == 20 && estimate.acceptedTotal == 20)
        var failing = AcceptanceEstimate()
        for _ in 0..<5 { failing.record(drafted: 4, accepted: 0) }
        #expect(failing.rate(prior: prior) < 0.2)
        for _ in 0..<40 { failing.fade() }
        #expect(abs(failing.rate(prior: prior) - prior) < 0.01)
    }
}
