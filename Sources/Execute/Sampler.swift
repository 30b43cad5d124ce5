import ExecuteKernels
import Foundation
import LightServeCore

/// Chooses each next token of one sequence: penalties over the tokens it generated, EOS masked
/// until `minNewTokens` allows it, the output constraint's mask (structured generation), then
/// arg-max or temperature / top-k / top-p sampling from a seeded random stream. Its whole memory
/// is a ``SamplingState`` that travels with the sequence.
///
/// A constrained choice is the best (or a drawn) token among those the constraint allows. Greedy
/// decoding first asks the constraint about the arg-max alone and builds the whole mask only when
/// that token is not allowed, which is rare once a model follows the format. The reported
/// log-probabilities stay the model's own, before the mask (vLLM's default "raw" logprobs), so
/// they cost no mask either.
///
/// Logits that are not finite (a model that overflowed) never trap it: NaN counts as impossible,
/// +inf as the largest finite value, and if nothing is possible every token is equally likely.
public struct Sampler: Sendable {
    public internal(set) var state: SamplingState
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
        prepare(logits)
        let choice: Choice
        if let constraint = state.constraint {
            choice = constrainedChoice(logits, constraint) ?? deadEnd(logits)
        } else {
            choice = freeChoice(logits)
        }
        record(choice.token)
        return choice
    }

    /// Penalties over the generated tokens, the length penalty, end-of-sequence tokens masked
    /// while `minNewTokens` says, and non-finite logits made finite: the logits every choice
    /// starts from.
    func prepare(_ logits: UnsafeMutableBufferPointer<Float>) {
        precondition(!logits.isEmpty, "the sampler needs at least one logit")
        applyPenalties(logits)
        let lengthScale = parameters.lengthPenalty.scale(after: state.generated)
        if lengthScale != 0 {
            for token in state.stopTokens where token >= 0 && Int(token) < logits.count {
                logits[Int(token)] += abs(logits[Int(token)]) * lengthScale
            }
        }
        if parameters.masksEndOfSequence(after: state.generated) {
            for token in state.stopTokens where token >= 0 && Int(token) < logits.count { logits[Int(token)] = -.infinity }
        }
        Self.makeFinite(logits)
    }

    /// Moves the state past `token`: the constraint, the penalties' counts, the tokens generated.
    mutating func record(_ token: Int32) {
        if var constraint = state.constraint {
            // Refused only at a dead end (``deadEnd(_:)``): the constraint stays where it is.
            if constraint.accept(token) { state.constraint = constraint }
        }
        if parameters.hasPenalties { state.counts[token, default: 0] += 1 }
        state.generated += 1
    }

    /// The choice without a constraint.
    private mutating func freeChoice(_ logits: UnsafeMutableBufferPointer<Float>) -> Choice {
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
        return choice
    }

    /// Divides the logits by the temperature (and keeps them finite).
    func applyTemperature(_ logits: UnsafeMutableBufferPointer<Float>) {
        let inverseTemperature = 1 / parameters.temperature
        for i in logits.indices { logits[i] *= inverseTemperature }
        Self.makeFinite(logits)
    }

    /// The log-partition of `logits`, whose arg-max is `best`, and the most likely tokens'
    /// log-probabilities when asked for: what a choice reports, taken before any mask.
    func unmasked(_ logits: UnsafeMutableBufferPointer<Float>, best: Int) -> (logPartition: Float, alternatives: [TokenLogprob]) {
        let logPartition = ls_logsumexp(logits.baseAddress, Int32(logits.count), logits[best])
        let alternatives =
            parameters.topLogprobs > 0
            ? Self.mostLikely(logits: UnsafeBufferPointer(logits), count: parameters.topLogprobs, logPartition: logPartition) : []
        return (logPartition, alternatives)
    }

    /// Where the constraint allows no token of this vocabulary at all (a grammar needing a
    /// character no token holds, such as a byte some byte-level vocabularies lack), the answer
    /// cannot go on: the end-of-sequence token ends it there, with the model's own
    /// log-probability for it.
    private func deadEnd(_ logits: UnsafeMutableBufferPointer<Float>) -> Choice {
        let token = state.stopTokens.first { $0 >= 0 && Int($0) < logits.count } ?? 0
        let (logPartition, alternatives) = unmasked(logits, best: Int(ls_argmax(logits.baseAddress, Int32(logits.count))))
        return Choice(token: token, logprob: logits[Int(token)] - logPartition, alternatives: alternatives)
    }

    /// The best or a drawn token among those `constraint` allows, or nil if it allows none;
    /// log-probabilities from the logits before the mask (after penalties and temperature).
    private mutating func constrainedChoice(_ logits: UnsafeMutableBufferPointer<Float>, _ constraint: any TokenConstraint) -> Choice? {
        if !parameters.isGreedy { applyTemperature(logits) }
        let best = Int(ls_argmax(logits.baseAddress, Int32(logits.count)))
        let (logPartition, alternatives) = unmasked(logits, best: best)
        let chosen: Int32
        if parameters.isGreedy && constraint.allows(Int32(best)) {
            chosen = Int32(best)
        } else {
            var mask = TokenMask(count: logits.count)
            constraint.fillMask(&mask)
            guard mask.allowedCount > 0 else { return nil }
            Self.apply(mask, to: logits)
            let allowedBest = Int(ls_argmax(logits.baseAddress, Int32(logits.count)))
            if parameters.isGreedy {
                chosen = Int32(allowedBest)
            } else {
                // The draw turns the logits into probabilities; the chosen logit comes back from
                // its probability and the masked distribution's log-partition.
                let maskedPartition = ls_logsumexp(logits.baseAddress, Int32(logits.count), logits[allowedBest])
                let drawn = draw(logits, temperatureApplied: true)
                return Choice(token: drawn.token, logprob: drawn.logprob + maskedPartition - logPartition, alternatives: alternatives)
            }
        }
        return Choice(token: chosen, logprob: logits[Int(chosen)] - logPartition, alternatives: alternatives)
    }

    /// Disallowed tokens become impossible. If the constraint allows only tokens the logits
    /// already made impossible (an end-of-sequence token `min_new_tokens` still masks), the
    /// allowed ones become equally likely, so the choice always satisfies the constraint.
    static func apply(_ mask: TokenMask, to logits: UnsafeMutableBufferPointer<Float>) {
        var anyPossible = false
        mask.withUnsafeWords { words in
            for (w, word) in words.enumerated() where word != ~0 {
                var disallowed = ~word
                while disallowed != 0 {
                    let i = w << 6 + disallowed.trailingZeroBitCount
                    if i < logits.count { logits[i] = -.infinity }
                    disallowed &= disallowed - 1
                }
            }
            for (w, word) in words.enumerated() where word != 0 {
                var allowed = word
                while allowed != 0 && !anyPossible {
                    anyPossible = logits[w << 6 + allowed.trailingZeroBitCount] > -.infinity
                    allowed &= allowed - 1
                }
                if anyPossible { break }
            }
            guard !anyPossible else { return }
            for (w, word) in words.enumerated() {
                var allowed = word
                while allowed != 0 {
                    logits[w << 6 + allowed.trailingZeroBitCount] = 0
                    allowed &= allowed - 1
                }
            }
        }
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

    /// Temperature (unless already applied), then the top-k / top-p candidate set, then a draw
    /// in proportion. `logits` ends up holding the probabilities.
    private mutating func draw(_ logits: UnsafeMutableBufferPointer<Float>, temperatureApplied: Bool = false) -> Choice {
        let p = parameters
        if !temperatureApplied { applyTemperature(logits) }
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

    /// The `count` tokens with the largest logits, with their log-probabilities given the
    /// distribution's log-partition, best first.
    static func mostLikely(logits: UnsafeBufferPointer<Float>, count: Int, logPartition: Float) -> [TokenLogprob] {
        guard count > 0 else { return [] }
        var best: [(id: Int32, logit: Float)] = []
        best.reserveCapacity(count + 1)
        var floor = -Float.infinity
        for (i, x) in logits.enumerated() where x > floor || best.count < count {
            let at = best.firstIndex { $0.logit < x } ?? best.count
            best.insert((Int32(i), x), at: at)
            if best.count > count { best.removeLast() }
            if best.count == count { floor = best[count - 1].logit }
        }
        return best.map { TokenLogprob(id: $0.id, logprob: $0.logit - logPartition) }
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
