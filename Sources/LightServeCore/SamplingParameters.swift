import Foundation

/// How the next token is chosen from the logits, with LightLLM's parameter names and defaults.
public struct SamplingParameters: Sendable, Equatable, Hashable {
    /// `false` is greedy decoding whatever the other knobs say.
    public var doSample: Bool
    public var temperature: Float
    /// Nucleus sampling: keep the most likely tokens up to this cumulative probability.
    public var topP: Float
    /// Keep only the `topK` most likely tokens; -1 keeps all.
    public var topK: Int
    /// Subtracted once from the logit of every token generated so far.
    public var presencePenalty: Float
    /// Subtracted from a generated token's logit once per time it was generated.
    public var frequencyPenalty: Float
    /// Divides positive (multiplies negative) logits of generated tokens.
    public var repetitionPenalty: Float
    /// Generation does not stop at end-of-sequence tokens.
    public var ignoreEOS: Bool
    /// The fewest tokens a sequence has, its end-of-sequence token included (LightLLM masks EOS
    /// while fewer than `minNewTokens - 1` tokens exist): 0 and 1 both let the first token end it.
    public var minNewTokens: Int
    /// Fixes the random stream: the same seed and inputs give the same output.
    public var seed: UInt64?
    /// How many of the most likely alternatives to report with each chosen token (OpenAI's
    /// `top_logprobs`); 0 for none.
    public var topLogprobs: Int = 0
    /// The penalties also count the prompt's tokens (LightLLM's `input_penalty`).
    public var inputPenalty = false
    /// LightLLM's `exponential_decay_length_penalty` `(start, factor)`: once more than `start`
    /// tokens were generated, each end-of-sequence logit grows by `|logit| · (factor^(generated −
    /// start) − 1)`, making the end ever likelier. `(1, 1)` changes nothing.
    public var lengthPenalty = LengthPenalty()

    /// See ``lengthPenalty``.
    public struct LengthPenalty: Sendable, Equatable, Hashable {
        public var start: Int
        public var factor: Float

        public init(start: Int = 1, factor: Float = 1) {
            self.start = start
            self.factor = factor
        }

        /// The multiplier of `|logit|` added to end-of-sequence logits after `generated` tokens.
        public func scale(after generated: Int) -> Float {
            guard factor != 1, generated > start else { return 0 }
            let scale = powf(factor, Float(generated - start)) - 1
            return scale.isFinite ? scale : .greatestFiniteMagnitude
        }
    }

    public init(
        doSample: Bool = false, temperature: Float = 1, topP: Float = 1, topK: Int = -1, presencePenalty: Float = 0,
        frequencyPenalty: Float = 0, repetitionPenalty: Float = 1, ignoreEOS: Bool = false, minNewTokens: Int = 1,
        seed: UInt64? = nil
    ) {
        self.doSample = doSample
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.repetitionPenalty = repetitionPenalty
        self.ignoreEOS = ignoreEOS
        self.minNewTokens = minNewTokens
        self.seed = seed
    }

    /// The largest temperature a request may set: far beyond it the distribution is uniform.
    public static let maxTemperature: Double = 100
    /// The largest presence, frequency or repetition penalty a request may set.
    public static let maxPenalty: Double = 100

    /// Whether end-of-sequence tokens are masked for the token after `generated` tokens.
    public func masksEndOfSequence(after generated: Int) -> Bool {
        generated < minNewTokens - 1
    }

    /// Greedy defaults.
    public static let greedy = SamplingParameters()

    /// Whether the choice is the arg-max. Each API decides it once when it parses a request
    /// (LightLLM's `do_sample`, OpenAI's temperature 0), and nothing downstream second-guesses it.
    public var isGreedy: Bool { !doSample }

    /// Whether any presence, frequency or repetition penalty changes the logits.
    public var hasPenalties: Bool {
        presencePenalty != 0 || frequencyPenalty != 0 || repetitionPenalty != 1
    }
}
