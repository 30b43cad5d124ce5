import Foundation

/// How many tokens to draft for a sequence: the length that maximises the tokens a step is
/// expected to yield over what the step costs, or none when no length pays.
///
/// With each drafted token accepted with probability `α` (given the ones before it were), a
/// draft of `k` tokens yields `1 + α + … + α^k` tokens. With `N` sequences decoding, each drafting
/// alike, the step runs `N · (1 + k)` rows instead of `N`, and the draft model (if any) runs `k`
/// passes over them: its cost relative to the plain step is `t(N · (1 + k)) / t(N) + k · γ` on the
/// measured ``StepCostProfile`` `t`. One stream's step is bound by reading the weights, so a few
/// more rows cost little; under a large batch each row's arithmetic dominates, a verified token
/// costs nearly what a decoded one does, and speculation turns itself off.
public struct DraftLengthPolicy: Sendable, Equatable {
    /// The most tokens one step drafts for a sequence.
    public var maxTokens: Int
    /// What steps cost on this machine, and what a drafted token costs.
    public var costs: StepCostProfile
    /// The least expected speed-up (tokens per step over the step's cost, minus 1) that makes
    /// drafting worth it.
    public var minimumGain: Double
    /// Whether the length follows acceptance, batch and costs; a fixed policy always drafts
    /// ``maxTokens`` (`--draft-fixed`: for measuring, and like llama.cpp's `--draft`).
    public var adaptive: Bool

    public init(maxTokens: Int, costs: StepCostProfile, minimumGain: Double = 0.05, adaptive: Bool = true) {
        precondition(maxTokens >= 0, "draft length policy out of range")
        self.maxTokens = maxTokens
        self.costs = costs
        self.minimumGain = minimumGain
        self.adaptive = adaptive
    }

    /// Always ``maxTokens``, whatever the acceptance, the batch and the costs.
    public static func fixed(_ maxTokens: Int) -> DraftLengthPolicy {
        DraftLengthPolicy(maxTokens: maxTokens, costs: StepCostProfile(rows: [1], costs: [1]), adaptive: false)
    }

    /// Tokens a step is expected to yield with `length` drafted tokens each accepted with
    /// probability `acceptance`, per unit of the step's cost, among `decodingRows` sequences.
    public func gain(length: Int, acceptance: Double, decodingRows: Int) -> Double {
        let n = max(decodingRows, 1)
        let cost = costs.cost(rows: n * (length + 1)) / costs.cost(rows: n) + Double(length) * costs.draftTokenCost
        let expected = acceptance >= 1 ? Double(length + 1) : (1 - pow(acceptance, Double(length + 1))) / (1 - acceptance)
        return expected / cost
    }

    /// The least acceptance rate at which a sequence among `decodingRows` decoding ones drafts at
    /// all (to within 0.001), or nil when no rate does: what a sequence's record has to reach
    /// before these costs let it draft, for the log to say why a drafter stays idle.
    public func leastDraftingAcceptance(decodingRows: Int) -> Double? {
        guard length(acceptance: 1, decodingRows: decodingRows) > 0 else { return nil }
        var (refused, drafts) = (0.0, 1.0)
        while drafts - refused > 0.001 {
            let middle = (refused + drafts) / 2
            if length(acceptance: middle, decodingRows: decodingRows) > 0 { drafts = middle } else { refused = middle }
        }
        return drafts
    }

    /// The draft length for a sequence whose drafts are accepted at rate `acceptance`, among
    /// `decodingRows` decoding sequences: 0 when drafting is not expected to pay (``maxTokens``
    /// when the policy is fixed).
    public func length(acceptance: Double, decodingRows: Int) -> Int {
        guard adaptive else { return maxTokens }
        var best = 0
        var bestGain = 1 + minimumGain
        for length in stride(from: 1, through: maxTokens, by: 1) {
            let gain = gain(length: length, acceptance: acceptance, decodingRows: decodingRows)
            if gain > bestGain {
                best = length
                bestGain = gain
            }
        }
        return best
    }
}
