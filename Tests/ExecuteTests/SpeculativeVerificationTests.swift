import Foundation
import LightServeCore
import TestSupport
import Testing

@testable import Execute

/// The sampler's verification of drafted tokens: greedy, a drafted token stands exactly when it
/// is the sampler's own choice; sampled, the rejection rule leaves every output token distributed
/// as the sampler's distribution (checked by chi-square on a synthetic model's logits); a token
/// the constraint refuses is rejected; and a draft model must share the model's vocabulary.
@Suite struct SpeculativeVerificationTests {
    /// Allows only `allowed`, and records what it accepts.
    struct AllowList: TokenConstraint {
        var allowed: Set<Int32>
        var accepted: [Int32] = []
        var isTerminated: Bool { false }
        func allows(_ token: Int32) -> Bool { allowed.contains(token) }
        func fillMask(_ mask: inout TokenMask) {
            mask.removeAll()
            for token in allowed { mask.allow(token) }
        }
        mutating func accept(_ token: Int32) -> Bool {
            guard allowed.contains(token) else { return false }
            accepted.append(token)
            return true
        }
    }

    static func verify(
        _ sampler: inout Sampler, _ logits: [Float], drafted: Int32, proposal: [Float]? = nil
    ) -> (choice: Sampler.Choice, accepted: Bool) {
        var copy = logits
        return copy.withUnsafeMutableBufferPointer { logits in
            guard let proposal else { return sampler.verify(logits, drafted: drafted, proposal: .certain) }
            return proposal.withUnsafeBufferPointer { sampler.verify(logits, drafted: drafted, proposal: .distribution($0)) }
        }
    }

    @Test func greedyAcceptsADraftedTokenExactlyWhenItIsTheSamplersChoice() {
        let logits: [Float] = [0.5, 3, -1, 2.9]
        var sampler = Sampler(parameters: .greedy, stopTokens: [])
        let (kept, accepted) = Self.verify(&sampler, logits, drafted: 1)
        #expect(accepted && kept.token == 1)
        let (replaced, rejected) = Self.verify(&sampler, logits, drafted: 3)
        #expect(!rejected && replaced.token == 1)
        #expect(sampler.state.generated == 2, "each verified position records its token")
    }

    @Test func aDraftedTokenTheConstraintRefusesIsARejection() {
        // Token 0 is the most likely but the constraint allows only 2 and 3.
        let logits: [Float] = [4, 1, 2, 3]
        var greedy = Sampler(state: SamplingState(
            parameters: .greedy, stopTokens: [], constraint: AllowList(allowed: [2, 3])))
        let (choice, accepted) = Self.verify(&greedy, logits, drafted: 0)
        #expect(!accepted && choice.token == 3)
        #expect((greedy.state.constraint as? AllowList)?.accepted == [3])

        for seed in UInt64(1)...20 {
            var sampled = Sampler(state: SamplingState(
                parameters: SamplingParameters(doSample: true, seed: seed), stopTokens: [],
                constraint: AllowList(allowed: [2, 3])))
            let (choice, accepted) = Self.verify(&sampled, logits, drafted: 0)
            #expect(!accepted && [2, 3].contains(choice.token))
            #expect((sampled.state.constraint as? AllowList)?.accepted == [choice.token])
        }
    }

    /// Next-token logits of a synthetic Qwen 2 model after a short prompt.
    static func syntheticLogits(seed: UInt64) throws -> [Float] {
        var synthetic = SyntheticModel(.qwen2)
        synthetic.seed = seed
        let runner = try ModelRunner(model: try LanguageModel(path: try synthetic.writeForTest()), kvSlots: 16, threads: 2)
        let prompt: [Int32] = Array("Once upon".utf8).map { Int32($0) }
        let slots = (0..<Int32(prompt.count)).map { $0 }
        return try runner.forward(ForwardBatch([.init(tokens: prompt, position: 0, slots: slots)])) { Array($0.logits(0)!) }
    }

    /// Pearson's statistic of `counts` against `probabilities`, bins expecting fewer than 5
    /// draws pooled into one; and its degrees of freedom.
    static func chiSquare(_ counts: [Int], _ probabilities: [Double]) -> (statistic: Double, degrees: Int) {
        let n = Double(counts.reduce(0, +))
        var statistic = 0.0, bins = 0
        var pooledCount = 0.0, pooledExpected = 0.0
        for (count, p) in zip(counts, probabilities) {
            let expected = n * p
            if expected < 5 {
                pooledCount += Double(count)
                pooledExpected += expected
            } else {
                statistic += (Double(count) - expected) * (Double(count) - expected) / expected
                bins += 1
            }
        }
        if pooledExpected > 0 {
            statistic += (pooledCount - pooledExpected) * (pooledCount - pooledExpected) / pooledExpected
            bins += 1
        }
        return (statistic, bins - 1)
    }

    /// The chi-square quantile at 1 − 10⁻³ (Wilson–Hilferty).
    static func critical(degrees: Int) -> Double {
        let k = Double(degrees), z = 3.090
        let c = 1 - 2 / (9 * k) + z * (2 / (9 * k)).squareRoot()
        return k * c * c * c
    }

    enum Drafter: String, CaseIterable {
        /// A second model's distribution, sampled by the same sampler (a draft model).
        case distribution
        /// A fixed token without probabilities (prompt lookup): the model's second likeliest.
        case likelyToken
        /// A fixed token the model finds unlikely.
        case unlikelyToken
    }

    @Test(arguments: Drafter.allCases, [Float(1), 0.7])
    func rejectionSamplingLeavesTheModelsDistribution(drafter: Drafter, temperature: Float) throws {
        let target = try Self.syntheticLogits(seed: 7)
        let draft = try Self.syntheticLogits(seed: 8)
        let vocabulary = target.count
        // What the sampler alone draws from: the softmax at this temperature.
        let scaled = target.map { Double($0 / temperature) }
        let top = scaled.max()!
        let weights = scaled.map { exp($0 - top) }
        let probabilities = weights.map { $0 / weights.reduce(0, +) }
        let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }

        let parameters = SamplingParameters(doSample: true, temperature: temperature, seed: 1234)
        var verifier = Sampler(parameters: parameters, stopTokens: [])
        var proposer = Sampler(state: SamplingState(parameters: parameters, stopTokens: [], seedOffset: 99))
        var counts = [Int](repeating: 0, count: vocabulary)
        var accepted = 0
        let draws = 30_000
        for _ in 0..<draws {
            let outcome: (choice: Sampler.Choice, accepted: Bool)
            switch drafter {
            case .distribution:
                var q = [Float](repeating: 0, count: vocabulary)
                var logits = draft
                let proposal = logits.withUnsafeMutableBufferPointer { logits in
                    q.withUnsafeMutableBufferPointer { proposer.propose(logits, probabilities: $0, confidence: 0) }
                }
                outcome = Self.verify(&verifier, target, drafted: try #require(proposal).token, proposal: q)
            case .likelyToken:
                outcome = Self.verify(&verifier, target, drafted: Int32(ranked[1]))
            case .unlikelyToken:
                outcome = Self.verify(&verifier, target, drafted: Int32(ranked[vocabulary / 2]))
            }
            counts[Int(outcome.choice.token)] += 1
            if outcome.accepted { accepted += 1 }
        }
        let (statistic, degrees) = Self.chiSquare(counts, probabilities)
        #expect(degrees >= 5)
        #expect(statistic < Self.critical(degrees: degrees), "χ² \(statistic) over \(degrees) degrees of freedom")
        // Both branches of the rule ran.
        #expect(accepted > 0 && accepted < draws)
    }

    @Test func draftModelWithAnotherVocabularyIsRefusedNamingTheFirstDifference() throws {
        let model = try LanguageModel(path: try SyntheticModel(.qwen2).writeForTest())
        var longer = SyntheticModel(.qwen2)
        longer.vocabulary = 280
        #expect(throws: ExecuteError.draftVocabularyMismatch("the draft model has 280 tokens and the model 272")) {
            try DraftModel.checkVocabulary(of: try LanguageModel(path: try longer.writeForTest()), against: model)
        }
        let smol = try LanguageModel(path: try TestModel.path())
        do {
            try DraftModel.checkVocabulary(of: smol, against: model)
            Issue.record("a draft model with other tokens was accepted")
        } catch {
            #expect("\(error)".contains("token 0 is \"<|endoftext|>\" in the draft model"), "\(error)")
        }
        var sameTokens = SyntheticModel(.qwen2)
        sameTokens.seed = 8
        try DraftModel.checkVocabulary(of: try LanguageModel(path: try sameTokens.writeForTest()), against: model)
    }
}
