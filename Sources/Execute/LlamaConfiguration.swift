import GGUF

/// The hyper-parameters of a Llama-architecture model, read from the `llama.*` keys.
public struct LlamaConfiguration: Sendable, Equatable {
    public var layerCount: Int
    public var embeddingLength: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDimension: Int
    public var rotaryDimension: Int
    public var ropeFrequencyBase: Double
    public var rmsEpsilon: Float
    public var contextLength: Int
    public var vocabularySize: Int

    /// Floats of K (or V) one token position needs in one layer.
    public var kvDimension: Int { kvHeadCount * headDimension }

    public init(gguf: GGUFFile) throws(ExecuteError) {
        do {
            let architecture = try gguf.requireString("general.architecture")
            guard architecture == "llama" else { throw ExecuteError.unsupportedArchitecture(architecture) }
            layerCount = try gguf.requireInt("llama.block_count")
            embeddingLength = try gguf.requireInt("llama.embedding_length")
            feedForwardLength = try gguf.requireInt("llama.feed_forward_length")
            headCount = try gguf.requireInt("llama.attention.head_count")
            kvHeadCount = try gguf.int("llama.attention.head_count_kv") ?? headCount
            rmsEpsilon = Float(try gguf.requireDouble("llama.attention.layer_norm_rms_epsilon"))
            ropeFrequencyBase = try gguf.double("llama.rope.freq_base") ?? 10_000
            contextLength = try gguf.int("llama.context_length") ?? 2048
            guard headCount > 0, embeddingLength % headCount == 0 else {
                throw ExecuteError.invalidHyperParameters(
                    "embedding length \(embeddingLength) is not a multiple of \(headCount) heads")
            }
            headDimension = embeddingLength / headCount
            rotaryDimension = try gguf.int("llama.rope.dimension_count") ?? headDimension
            let embedding = try gguf.requireTensor("token_embd.weight")
            vocabularySize = try gguf.int("llama.vocab_size") ?? embedding.rowCount
        } catch let error as GGUFError {
            throw .model(error)
        } catch let error as ExecuteError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        try validate()
    }

    public init(
        layerCount: Int, embeddingLength: Int, feedForwardLength: Int, headCount: Int, kvHeadCount: Int,
        ropeFrequencyBase: Double = 10_000, rmsEpsilon: Float = 1e-5, contextLength: Int = 2048, vocabularySize: Int
    ) throws(ExecuteError) {
        self.layerCount = layerCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headCount > 0 ? embeddingLength / headCount : 0
        self.rotaryDimension = headDimension
        self.ropeFrequencyBase = ropeFrequencyBase
        self.rmsEpsilon = rmsEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        try validate()
    }

    private func validate() throws(ExecuteError) {
        func fail(_ why: String) -> ExecuteError { .invalidHyperParameters(why) }
        guard layerCount > 0, embeddingLength > 0, feedForwardLength > 0, vocabularySize > 0 else {
            throw fail("layer count, embedding, feed-forward and vocabulary sizes must be positive")
        }
        guard headCount > 0, embeddingLength % headCount == 0 else {
            throw fail("embedding length \(embeddingLength) is not a multiple of \(headCount) heads")
        }
        guard kvHeadCount > 0, headCount % kvHeadCount == 0, headCount / kvHeadCount <= 16 else {
            throw fail("\(headCount) query heads cannot share \(kvHeadCount) KV heads evenly (at most 16 per group)")
        }
        guard headDimension % 8 == 0 else {
            throw fail("head size \(headDimension) is not a multiple of 8")
        }
        guard rotaryDimension > 0, rotaryDimension <= headDimension, rotaryDimension % 2 == 0 else {
            throw fail("rotary dimension \(rotaryDimension) must be even and at most the head size \(headDimension)")
        }
        guard embeddingLength % 32 == 0, feedForwardLength % 32 == 0 else {
            throw fail("embedding and feed-forward sizes must be multiples of 32 (quantization blocks)")
        }
        guard rmsEpsilon > 0, ropeFrequencyBase > 0, contextLength > 0 else {
            throw fail("epsilon, rope base and context length must be positive")
        }
    }
}
