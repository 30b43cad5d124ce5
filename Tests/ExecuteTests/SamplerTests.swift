import Foundation
import LightServeCore
import Testing

@testable import Execute

@Suite struct SamplerTests {
    /// Runs `sampler` on a copy of `logits`.
    static func sample(_ sampler: inout Sampler, _ logits: [Float]) -> Sampler.Choice {
        var copy = logits
        return copy.withUnsafeMutableBufferPointer { sampler.sample($0) }
    }

    static func logSoftmax(_ logits: [Float], _ i: Int) -> Float {
        let m = logits.max()!
        let z = logits.reduce(0) { $0 + exp($1 - m) }
        return logits[i] - m - log(z)
    }

    @Test func testGreedyPicksArgmaxAndReportsLogSoftmax() {
        var sampler = Sampler(parameters: .greedy, stopTokens: [])
        let logits: [Float] = [0.5, 3, -1, 2.9]
        let choice = Self.sample(&sampler, logits)
        #expect(choice.token == 1)
        #expect(abs(choice.logprob - Self.logSoftmax(logits, 1)) < 1e-5)
    }

    @Test func testGreedyIgnoresTemperatureWithoutDoSample() {
        var sampler = Sampler(parameters: SamplingParameters(doSample: false, temperature: 5, seed: 1), stopTokens: [])
        for _ in 0..<20 { #expect(Self.sample(&sampler, [1, 2, 1.9]).token == 1) }
    }

    @Test func testRepetitionPenaltyDividesPositiveAndMultipliesNegative() {
        var sampler = Sampler(parameters: SamplingParameters(repetitionPenalty: 2), stopTokens: [])
        #expect(Self.sample(&sampler, [3, 2, -1]).token == 0)  // counts token 0 once
        // Token 0: 3 / 2 = 1.5 < 1.6, so token 1 wins now.
        #expect(Self.sample(&sampler, [3, 1.6, -1]).token == 1)
        // Token 1 (now seen): 1.6 / 2 = 0.8; token 0: 1.5 → token 0 again.
        #expect(Self.sample(&sampler, [3, 1.6, -1]).token == 0)
        // Negative logits of seen tokens grow more negative: -0.2 * 2 = -0.4 < -0.3.
        var negative = Sampler(parameters: SamplingParameters(repetitionPenalty: 2), stopTokens: [])
        #expect(Self.sample(&negative, [-0.2, -0.3]).token == 0)
        #expect(Self.sample(&negative, [-0.2, -0.3]).token == 1)
    }

    @Test func testFrequencyPenaltyScalesWithCountAndPresenceDoesNot() {
        var frequency = Sampler(parameters: SamplingParameters(frequencyPenalty: 0.4), stopTokens: [])
        let logits: [Float] = [1.0, 0.5]
        #expect(Self.sample(&frequency, logits).token == 0)  // 0 seen once: 1.0 - 0.4 = 0.6 > 0.5
        #expect(Self.sample(&frequency, logits).token == 0)  // seen twice now: 1.0 - 0.8 = 0.2 < 0.5
        #expect(Self.sample(&frequency, logits).token == 1)

        var presence = Sampler(parameters: SamplingParameters(presencePenalty: 0.4), stopTokens: [])
        #expect(Self.sample(&presence, logits).token == 0)
        #expect(Self.sample(&presence, logits).token == 0)  // 1.0 - 0.4 = 0.6 > 0.5 however often
        #expect(Self.sample(&presence, logits).token == 0)
    }

    @Test func testMinNewTokensCountsTheStopTokenAsAnOutputToken() {
        // As LightLLM: EOS is masked while fewer than min_new_tokens - 1 tokens exist, so with
        // min_new_tokens 3 two ordinary tokens come before the stop token may (3 tokens in all).
        var sampler = Sampler(parameters: SamplingParameters(minNewTokens: 3), stopTokens: [2])
        let logits: [Float] = [0, 1, 5]
        #expect(Self.sample(&sampler, logits).token == 1)
        #expect(Self.sample(&sampler, logits).token == 1)
        #expect(Self.sample(&sampler, logits).token == 2)
    }

    @Test func testDefaultMinNewTokensLetsTheFirstTokenEndTheSequence() {
        for minimum in [0, 1] {
            var sampler = Sampler(parameters: SamplingParameters(minNewTokens: minimum), stopTokens: [2])
            #expect(Self.sample(&sampler, [0, 1, 5]).token == 2)
        }
    }

    @Test func testNonFiniteLogitsNeverTrapTheSampler() {
        let cases: [[Float]] = [
            [.nan, .nan, .nan], [.infinity, 1, .infinity], [-.infinity, -.infinity], [.nan, 2, -.infinity],
            [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .nan],
        ]
        for logits in cases {
            for parameters in [
                SamplingParameters.greedy, SamplingParameters(doSample: true, temperature: 1e-3, topP: 0.5, seed: 3),
                SamplingParameters(doSample: true, temperature: 100, topK: 2, repetitionPenalty: 100, seed: 4),
            ] {
                var sampler = Sampler(parameters: parameters, stopTokens: [0])
                for _ in 0..<3 {
                    let choice = Self.sample(&sampler, logits)
                    #expect((0..<Int32(logits.count)).contains(choice.token), "\(logits) \(parameters)")
                    #expect(!choice.logprob.isNaN, "\(logits) \(parameters)")
                }
            }
        }
        // NaN is impossible, not likely: the finite logit wins.
        var greedy = Sampler(parameters: .greedy, stopTokens: [])
        #expect(Self.sample(&greedy, [.nan, -3, .nan]).token == 1)
    }

    /// Vocabulary-sized rows go through the vectorised scans (eight values at a time, then a
    /// tail), so the best, its ties, NaN and infinities are placed in both parts.
    @Test func testGreedyOverALargeVocabularyPicksTheFirstBestAndItsLogSoftmax() {
        for (count, best) in [(49_152, 17), (1_003, 1_000)] {
            var logits = (0..<count).map { Float(($0 &* 7_919) % 1_000) / 100 }
            logits[best] = 50
            logits[best + 2] = 50
            logits[count - 1] = 50
            logits[5] = .nan
            logits[count - 2] = .nan
            var sampler = Sampler(parameters: .greedy, stopTokens: [])
            let choice = Self.sample(&sampler, logits)
            #expect(choice.token == Int32(best))
            let finite = logits.map { $0.isNaN ? -Float.infinity : $0 }
            #expect(abs(choice.logprob - Self.logSoftmax(finite, best)) < 1e-4)
        }
        var logits = [Float](repeating: 1, count: 4_096)
        logits[300] = .infinity
        var sampler = Sampler(parameters: .greedy, stopTokens: [])
        let choice = Self.sample(&sampler, logits)
        #expect(choice.token == 300)
        #expect(choice.logprob == 0)
    }

    @Test func testTopKOfOneIsGreedyEvenWhenSampling() {
        var sampler = Sampler(parameters: SamplingParameters(doSample: true, temperature: 10, topK: 1, seed: 7), stopTokens: [])
        for _ in 0..<50 { #expect(Self.sample(&sampler, [0.1, 0.3, 0.2]).token == 1) }
    }

    @Test func testTopPKeepsSmallestPrefixReachingP() {
        let probabilities: [Float] = [0.1, 0.45, 0.05, 0.3, 0.1]
        probabilities.withUnsafeBufferPointer { p in
            #expect(Sampler.candidates(p, topK: -1, topP: 0.7) == [1, 3])
            #expect(Sampler.candidates(p, topK: -1, topP: 0.75) == [1, 3])
            #expect(Sampler.candidates(p, topK: -1, topP: 0.76) == [1, 3, 0])  // tie 0.1: lower id first
            #expect(Sampler.candidates(p, topK: 2, topP: 1) == [1, 3])
            #expect(Sampler.candidates(p, topK: -1, topP: 0.01) == [1])
        }
    }

    @Test func testCandidatesOfFlatDistributionOverLargeVocabulary() {
        let n = 49_152
        let probabilities = [Float](repeating: 1 / Float(n), count: n)
        probabilities.withUnsafeBufferPointer { p in
            let kept = Sampler.candidates(p, topK: -1, topP: 0.5)
            #expect(abs(kept.count - n / 2) <= 10)  // float summation of 49k equal terms drifts
            #expect(Sampler.candidates(p, topK: 40, topP: 1) == (0..<40).map { Int32($0) })
        }
    }

    @Test func testSameSeedGivesSameTokensAndOtherSeedsDiffer() {
        let logits = (0..<64).map { Float($0 % 7) * 0.3 }
        func run(seed: UInt64) -> [Int32] {
            var sampler = Sampler(parameters: SamplingParameters(doSample: true, temperature: 1.5, seed: seed), stopTokens: [])
            return (0..<40).map { _ in Self.sample(&sampler, logits).token }
        }
        #expect(run(seed: 42) == run(seed: 42))
        #expect(run(seed: 42) != run(seed: 43))
    }

    @Test func testSamplingFollowsTheTemperedDistribution() {
        // Logits ln(0.5), ln(0.3), ln(0.2) at temperature 1 give those probabilities.
        let logits: [Float] = [log(0.5), log(0.3), log(0.2)]
        var sampler = Sampler(parameters: SamplingParameters(doSample: true, seed: 11), stopTokens: [])
        var counts = [0, 0, 0]
        let draws = 20_000
        for _ in 0..<draws {
            let choice = Self.sample(&sampler, logits)
            counts[Int(choice.token)] += 1
            #expect(abs(choice.logprob - logits[Int(choice.token)]) < 1e-4)
        }
        for (count, p) in zip(counts, [0.5, 0.3, 0.2]) {
            #expect(abs(Double(count) / Double(draws) - p) < 0.015)
        }
    }

    @Test func testLowTemperatureConcentratesOnTheBest() {
        var sampler = Sampler(parameters: SamplingParameters(doSample: true, temperature: 0.05, seed: 5), stopTokens: [])
        var best = 0
        for _ in 0..<200 where Self.sample(&sampler, [1.0, 1.3, 0.9]).token == 1 { best += 1 }
        #expect(best >= 198)
    }
}
