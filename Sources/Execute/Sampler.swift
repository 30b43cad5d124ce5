import ExecuteKernels
import Foundation
import LightServeCore

/// Chooses each next token of one sequence: penalties over the tokens it generated, EOS masked
/// until `minNewTokens` allows it, then arg-max or temperature / top-k / top-p sampling from a
/// seeded random stream. Its whole memory is a ``SamplingState`` that travels with the sequence.
///
/// Logits that are not finite (a model that overflowed) never trap it: NaN counts as impossible,
/// +inf as the largest finite value, and if nothing is possible every token is equally likely.
public struct Sampler: Sendable {
    public private(set) var state: SamplingState
    public var parameters: SamplingParameters { state.parameters }

    /// One chosen token and its log-probability under the distribution it was drawn from (after
    /// penalties and temperature, before top-k/top-p truncation; temperature 1 when greedy).
    public struct Choice: Sendable, Equatable {
        public var token: Int32
        public var logprob: Float
        /// The `topLogprobs` most likely tokens of the same distribution, best first.
        public var alternatives: [TokenLogprob] = []
    }

    public init(state: SamplingState) {
        self.state = state
    }

    public init(parameters: SamplingParameters, stopTokens: [Int32]) {
        self.init(state: SamplingState(parameters: parameters, stopTokens: stopTokens))
    }

    /// Picks the next token from `logits` (modified in place) and records it.
    public mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>) -> Choice {
        precondition(!logits.isEmpty, "the sampler needs at least one logit")
        applyPenalties(logits)
        if parameters.masksEndOfSequence(after: state.generated) {
            for token in state.stopTokens where token >= 0 && Int(token) < logits.count { logits[Int(token)] = -.infinity }
        }
        Self.makeFinite(logits)
        var choice: Choice
        if parameters.isGreedy {
            let best = Int(ls_argmax(logits.baseAddress, Int32(logits.count)))
            if parameters.topLogprobs > 0 {
                _ = ls_softmax(logits.baseAddress, Int32(logits.count))
                choice = Choice(token: Int32(best), logprob: logf(logits[best]))
            } else {
                let logPartition = ls_logsumexp(logits.baseAddress, Int32(logits.count), logits[best])
                choice = Choice(token: Int32(best), logprob: logits[best] - logPartition)
            }
        } else {
            choice = draw(logits)
        }
        if parameters.topLogprobs > 0 {
            // `logits` now holds the probabilities the choice came from.
            choice.alternatives = Self.mostLikely(UnsafeBufferPointer(logits), count: parameters.topLogprobs)
        }
        if parameters.hasPenalties { state.counts[choice.token, default: 0] += 1 }
        state.generated += 1
        return choice
    }

    /// NaN becomes -inf and +inf the largest finite value; if no logit is above -inf, all
    /// become 0 (a uniform choice) so that softmax and the draw stay defined.
    static func makeFinite(_ logits: UnsafeMutableBufferPointer<Float>) {
        if ls_make_finite(logits.baseAddress, Int32(logits.count)) == 0 { logits.update(repeating: 0) }
    }

    private func applyPenalties(_ logits: UnsafeMutableBufferPointer<Float>) {
        guard parameters.hasPenalties else { return }
        let p = parameters
        for (token, count) in state.counts where token >= 0 && Int(token) < logits.count {
            var value = logits[Int(token)]
            if p.repetitionPenalty != 1 {
                value = value > 0 ? value / p.repetitionPenalty : value * p.repetitionPenalty
            }
            value -= p.frequencyPenalty * Float(count) + p.presencePenalty
            logits[Int(token)] = value
        }
    }

    /// Temperature, then the top-k / top-p candidate set, then a draw in proportion.
    private mutating func draw(_ logits: UnsafeMutableBufferPointer<Float>) -> Choice {
        let p = parameters
        let inverseTemperature = 1 / p.temperature
        for i in logits.indices { logits[i] *= inverseTemperature }
        Self.makeFinite(logits)
        _ = ls_softmax(logits.baseAddress, Int32(logits.count))
        let probabilities = UnsafeBufferPointer(logits)
        let candidates = Self.candidates(probabilities, topK: p.topK, topP: p.topP)
        var total: Float = 0
        for c in candidates { total += probabilities[Int(c)] }
        var random = SplitMix64(state: state.randomState)
        let target = Float(random.nextUnit()) * total
        state.randomState = random.state
        var running: Float = 0
        var chosen = candidates[candidates.count - 1]
        for c in candidates {
            running += probabilities[Int(c)]
            if running > target {
                chosen = c
                break
            }
        }
        let probability = probabilities[Int(chosen)]
        return Choice(token: chosen, logprob: probability > 0 ? logf(probability) : -.infinity)
    }

    /// The `count` most probable tokens with their log-probabilities, best first.
    static func mostLikely(_ probabilities: UnsafeBufferPointer<Float>, count: Int) -> [TokenLogprob] {
        var best: [(id: Int32, p: Float)] = []
        best.reserveCapacity(count + 1)
        var floor: Float = -1
        for (i, p) in probabilities.enumerated() where p > floor || best.count < count {
            let at = best.firstIndex { $0.p < p } ?? best.count
            best.insert((Int32(i), p), at: at)
            if best.count > count { best.removeLast() }
            if best.count == count { floor = best[count - 1].p }
        }
        return best.map { TokenLogprob(id: $0.id, logprob: $0.p > 0 ? logf($0.p) : -.infinity) }
    }

    /// The most probable tokens, best first, kept while fewer than `topK` (when positive) and
    /// while the probability before each is below `topP`.
    ///
    /// Sorting all of a 50k vocabulary for every token would dominate a decode step, so only the
    /// tokens at or above a threshold are sorted; the threshold drops until what lies above it
    /// holds enough mass (and count) that the kept prefix cannot reach below it.
    static func candidates(_ probabilities: UnsafeBufferPointer<Float>, topK: Int, topP: Float) -> [Int32] {
        let limit = topK > 0 ? min(topK, probabilities.count) : probabilities.count
        var maximum: Float = 0
        for q in probabilities where q > maximum { maximum = q }
        var threshold = maximum / 64
        var pool: [Int32] = []
        while true {
            pool.removeAll(keepingCapacity: true)
            var mass: Float = 0
            for (i, q) in probabilities.enumerated() where q >= threshold {
                pool.append(Int32(i))
                mass += q
            }
            if mass >= topP || pool.count >= limit || threshold == 0 { break }
            threshold = threshold > 1e-30 ? threshold / 64 : 0
        }
        pool.sort { probabilities[Int($0)] > probabilities[Int($1)] || (probabilities[Int($0)] == probabilities[Int($1)] && $0 < $1) }
        var kept: [Int32] = []
        var cumulative: Float = 0
        for token in pool {
            if kept.count >= limit || (cumulative >= topP && !kept.isEmpty) { break }
            kept.append(token)
            cumulative += probabilities[Int(token)]
        }
        return kept
    }
}

/// A small, fast, seedable random stream (SplitMix64); reproducible across runs and platforms.
struct SplitMix64: Sendable {
    private(set) var state: UInt64

    init(state: UInt64) {
        self.state = state
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 bits.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}
