/// One sequence's recent record of verified drafts, as the probability that a drafted token is
/// accepted given the ones before it were: accepted tokens against rejections, older steps
/// weighing less, starting from (and, while the sequence does not draft, fading back to) a
/// prior. A sequence whose drafts stopped paying is thus tried again now and then, and one whose
/// text starts repeating itself is noticed.
public struct AcceptanceEstimate: Sendable, Equatable {
    /// The weight of the prior (the drafter's ``SpeculativeDecoding/Drafter/acceptancePrior``),
    /// in tokens.
    public static let priorWeight = 1.0
    /// What the evidence of one step weighs a step later.
    public static let decay = 0.7

    private var accepted = 0.0
    private var rejected = 0.0
    /// Tokens drafted and accepted over the sequence's life.
    public private(set) var draftedTotal = 0
    public private(set) var acceptedTotal = 0

    public init() {}

    /// The estimated probability that the next drafted token is accepted, from the evidence and
    /// the rate `prior` assumed before any.
    public func rate(prior: Double) -> Double {
        (accepted + prior * Self.priorWeight) / (accepted + rejected + Self.priorWeight)
    }

    /// A verified draft of `drafted` tokens of which the first `accepted` were accepted (a
    /// rejection ended it unless all were).
    public mutating func record(drafted: Int, accepted: Int) {
        fade()
        self.accepted += Double(accepted)
        if accepted < drafted { rejected += 1 }
        draftedTotal += drafted
        acceptedTotal += accepted
    }

    /// A step without a draft: the evidence fades toward the prior.
    public mutating func fade() {
        accepted *= Self.decay
        rejected *= Self.decay
    }
}
