import ExecuteKernels
import Foundation
import LightServeCore

/// Speculative decoding's side of the sampler: proposing drafted tokens from a draft model's
/// logits, and verifying drafted tokens against the model's logits so that the output is what
/// the sampler alone would give. Greedy, a drafted token stands when it is the token the sampler
/// picks (the arg-max under penalties and constraint), so the output is the same token for token.
/// Sampling, the rule of Leviathan et al. and Chen et al. (2023): a token `d` drawn from `q` stands
/// with probability `min(1, p(d) / q(d))`, and otherwise a token drawn from `max(0, p − q)`
/// (normalised) replaces it, which leaves each output token distributed exactly as `p`, the
/// distribution the sampler draws from (penalties, temperature, top-k/top-p, constraint).
extension Sampler {
    /// What a drafted token was drawn from.
    public enum Proposal {
        /// Proposed without probabilities (prompt lookup): a point mass, `q(d) = 1`.
        case certain
        /// Drawn from these probabilities over the vocabulary (``propose(_:probabilities:)``'s).
        case distribution(UnsafeBufferPointer<Float>)
    }

    /// Whether `drafted` stands as the next token, with the chosen token (`drafted`, or the one
    /// that replaces it) recorded like ``sample(_:)`` records its choice. `logits` are the
    /// model's at the drafted token's position, modified in place.
    public mutating func verify(
        _ logits: UnsafeMutableBufferPointer<Float>, drafted: Int32, proposal: Proposal
    ) -> (choice: Choice, accepted: Bool) {
        if parameters.isGreedy {
            let choice = sample(logits)
            return (choice, choice.token == drafted)
        }
        let shape = distribution(logits)
        var target = Self.normalized(UnsafeBufferPointer(logits), shape)
        var random = SplitMix64(state: state.randomState)
        let inVocabulary = drafted >= 0 && Int(drafted) < target.count
        let p = inVocabulary ? target[Int(drafted)] : 0
        let q: Float
        switch proposal {
        case .certain: q = 1
        case .distribution(let probabilities): q = inVocabulary ? probabilities[Int(drafted)] : 0
        }
        var token = drafted
        // Accept with probability min(1, p / q): u < p / q, without dividing.
        let accepted = p > 0 && Float(random.nextUnit()) * q < p
        if !accepted {
            switch proposal {
            case .certain:
                if inVocabulary { target[Int(drafted)] = 0 }
            case .distribution(let probabilities):
                for i in target.indices { target[i] = max(0, target[i] - probabilities[i]) }
            }
            // A residual without mass only arises from rounding where p ≈ q: nothing replaces.
            token = Self.draw(target, &random) ?? drafted
        }
        state.randomState = random.state
        let choice = Choice(token: token, logprob: Self.logprob(token, UnsafeBufferPointer(logits), shape), alternatives: shape.alternatives)
        record(token)
        return (choice, accepted)
    }

    /// Proposes the next token from a draft model's `logits` (modified in place) as this sampler
    /// would choose from the model's: the arg-max, or a draw from the same kind of distribution,
    /// whose probabilities it writes to `probabilities` (the vocabulary's size) for ``verify``.
    /// Records the token. Nil, and nothing drawn, when the likeliest token's probability is below
    /// `confidence`: a stopping rule that looks only at the distribution, never at the draw, so
    /// that each proposal stays distributed as its probabilities say.
    public mutating func propose(
        _ logits: UnsafeMutableBufferPointer<Float>, probabilities: UnsafeMutableBufferPointer<Float>, confidence: Float
    ) -> Choice? {
        if parameters.isGreedy {
            let choice = sample(logits)
            return expf(choice.logprob) < confidence ? nil : choice
        }
        let shape = distribution(logits)
        let proposal = Self.normalized(UnsafeBufferPointer(logits), shape)
        guard let likeliest = shape.candidates.first, proposal[Int(likeliest)] >= confidence else { return nil }
        _ = probabilities.update(fromContentsOf: proposal)
        var random = SplitMix64(state: state.randomState)
        let token = Self.draw(proposal, &random) ?? likeliest
        state.randomState = random.state
        record(token)
        return Choice(token: token, logprob: logf(proposal[Int(token)]))
    }

    /// The distribution a sampling (not greedy) choice draws from, laid out in `logits`.
    struct Shape {
        /// The tokens that may be drawn (the top-k/top-p set among those the constraint allows).
        var candidates: [Int32]
        /// Their probabilities' sum.
        var total: Float
        /// Added to a token's log-probability in `logits` for the one reported: the constraint
        /// mask's log-partition against the unmasked one (0 without a constraint).
        var shift: Float
        var alternatives: [TokenLogprob]
    }

    /// Prepares `logits` as ``sample(_:)`` does, applies temperature and the constraint, and
    /// leaves the softmax in `logits`; a draw picks among ``Shape/candidates`` in proportion.
    func distribution(_ logits: UnsafeMutableBufferPointer<Float>) -> Shape {
        prepare(logits)
        applyTemperature(logits)
        let (logPartition, alternatives) = unmasked(logits, best: Int(ls_argmax(logits.baseAddress, Int32(logits.count))))
        var shift: Float = 0
        if let constraint = state.constraint {
            var mask = TokenMask(count: logits.count)
            constraint.fillMask(&mask)
            Self.apply(mask, to: logits)
            let allowedBest = Int(ls_argmax(logits.baseAddress, Int32(logits.count)))
            shift = ls_logsumexp(logits.baseAddress, Int32(logits.count), logits[allowedBest]) - logPartition
        }
        _ = ls_softmax(logits.baseAddress, Int32(logits.count))
        let probabilities = UnsafeBufferPointer(logits)
        let candidates = Self.candidates(probabilities, topK: parameters.topK, topP: parameters.topP)
        let total = candidates.reduce(Float(0)) { $0 + probabilities[Int($1)] }
        return Shape(candidates: candidates, total: total, shift: shift, alternatives: alternatives)
    }

    /// The probabilities a draw follows: the candidates' in proportion, every other token 0.
    static func normalized(_ probabilities: UnsafeBufferPointer<Float>, _ shape: Shape) -> [Float] {
        var result = [Float](repeating: 0, count: probabilities.count)
        let scale = shape.total > 0 ? 1 / shape.total : 0
        for c in shape.candidates { result[Int(c)] = probabilities[Int(c)] * scale }
        return result
    }

    /// The reported log-probability of `token` (before truncation and mask, as ``sample(_:)``
    /// reports it) from the softmax `distribution` left in `probabilities`.
    static func logprob(_ token: Int32, _ probabilities: UnsafeBufferPointer<Float>, _ shape: Shape) -> Float {
        let probability = probabilities[Int(token)]
        return probability > 0 ? logf(probability) + shape.shift : -.infinity
    }

    /// A token drawn in proportion to `weights`, or nil when they hold no mass.
    static func draw(_ weights: [Float], _ random: inout SplitMix64) -> Int32? {
        let total = weights.reduce(Float(0), +)
        guard total > 0 else { return nil }
        let target = Float(random.nextUnit()) * total
        var running: Float = 0
        var last: Int32?
        for (i, w) in weights.enumerated() where w > 0 {
            running += w
            last = Int32(i)
            if running > target { return Int32(i) }
        }
        return last
    }
}
