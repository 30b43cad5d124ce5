/// Everything the shared forward pass needs to know about a model besides its weights: sizes, the
/// block recipe of its family, and each layer's rotary embedding and attention window.
///
/// A family (see ``ModelFamily``) builds one from the file's `{arch}.*` keys; the engine never
/// looks at the architecture name itself.
public struct ModelConfiguration: Sendable, Equatable {
    /// `general.architecture`.
    public var architecture: String
    public var layerCount: Int
    public var embeddingLength: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var kvHeadCount: Int
    /// Size of one query, key or value head; not always `embeddingLength / headCount` (Gemma 3).
    public var headDimension: Int
    public var rmsEpsilon: Float
    public var contextLength: Int
    public var vocabularySize: Int
    /// The optional parts of every block.
    public var block: BlockRecipe
    /// Factor applied to token embeddings before the first layer (Gemma: √embeddingLength).
    public var embeddingScale: Float
    /// Multiplier of attention scores, 1/√headDimension unless the family says otherwise.
    public var attentionScale: Float
    /// Final logit soft-capping (Gemma 2 style): logits become `cap · tanh(logit / cap)`; `nil`
    /// leaves them as the output head gives them.
    public var finalLogitSoftCap: Float?
    /// The rotary embeddings the layers use (Gemma 3 has one for local and one for global layers).
    public var rotaries: [RotaryEmbedding]
    /// Per-layer parameters, `layerCount` of them.
    public var layers: [LayerParameters]

    /// What differs between layers of one model.
    public struct LayerParameters: Sendable, Equatable {
        /// Index into ``ModelConfiguration/rotaries``.
        public var rotary: Int
        /// Keys this many positions back or more are hidden (sliding-window attention); `nil`
        /// for layers that see the whole context.
        public var slidingWindow: Int?

        public init(rotary: Int = 0, slidingWindow: Int? = nil) {
            self.rotary = rotary
            self.slidingWindow = slidingWindow
        }
    }

    /// Floats of one token's queries (and of the attention output that the output projection reads).
    public var queryDimension: Int { headCount * headDimension }
    /// Floats of K (or V) one token position needs in one layer.
    public var kvDimension: Int { kvHeadCount * headDimension }
    /// The rotary dimension every rotary embedding shares (scratch is sized by the largest).
    var maxRotaryDimension: Int { rotaries.map(\.dimension).max() ?? 0 }

    /// A plain Llama-style configuration: SiLU FFN, no optional parts, one rotary embedding with
    /// the NORM layout and base 10,000 over the whole head, every layer global.
    public init(
        architecture: String = "llama", layerCount: Int, embeddingLength: Int, feedForwardLength: Int, headCount: Int,
        kvHeadCount: Int, headDimension: Int? = nil, ropeFrequencyBase: Double = 10_000, rmsEpsilon: Float = 1e-5,
        contextLength: Int = 2048, vocabularySize: Int
    ) {
        self.architecture = architecture
        self.layerCount = layerCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        let hd = headDimension ?? (headCount > 0 ? embeddingLength / headCount : 0)
        self.headDimension = hd
        self.rmsEpsilon = rmsEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.block = BlockRecipe()
        self.embeddingScale = 1
        self.attentionScale = hd > 0 ? 1 / Float(hd).squareRoot() : 1
        self.rotaries = [RotaryEmbedding(base: ropeFrequencyBase, dimension: hd)]
        self.layers = Array(repeating: LayerParameters(), count: max(layerCount, 0))
    }

    /// Checks that the kernels can run this configuration; families call it last.
    public func validate() throws(ExecuteError) {
        func fail(_ why: String) -> ExecuteError { .invalidHyperParameters(why) }
        guard layerCount > 0, embeddingLength > 0, feedForwardLength > 0, vocabularySize > 0 else {
            throw fail("layer count, embedding, feed-forward and vocabulary sizes must be positive")
        }
        guard headCount > 0, headDimension > 0 else { throw fail("head count and head size must be positive") }
        guard kvHeadCount > 0, headCount % kvHeadCount == 0, headCount / kvHeadCount <= 16 else {
            throw fail("\(headCount) query heads cannot share \(kvHeadCount) KV heads evenly (at most 16 per group)")
        }
        guard headDimension % 8 == 0 else { throw fail("head size \(headDimension) is not a multiple of 8") }
        guard embeddingLength % 32 == 0, feedForwardLength % 32 == 0, queryDimension % 32 == 0 else {
            throw fail("embedding, query and feed-forward sizes must be multiples of 32 (quantization blocks)")
        }
        guard rmsEpsilon > 0, contextLength > 0, embeddingScale.isFinite, attentionScale > 0 else {
            throw fail("epsilon, context length and attention scale must be positive")
        }
        if let cap = finalLogitSoftCap, !(cap > 0 && cap.isFinite) { throw fail("final logit soft-cap \(cap) must be positive") }
        guard !rotaries.isEmpty else { throw fail("no rotary embedding") }
        for rotary in rotaries {
            guard rotary.dimension > 0, rotary.dimension <= headDimension, rotary.dimension % 2 == 0 else {
                throw fail("rotary dimension \(rotary.dimension) must be even and at most the head size \(headDimension)")
            }
            guard rotary.base > 0, rotary.positionScale > 0 else { throw fail("rope base and scale must be positive") }
            if let factors = rotary.frequencyFactors, factors.count != rotary.dimension / 2 || factors.contains(where: { !($0 > 0) }) {
                throw fail("rope_freqs has \(factors.count) factors for \(rotary.dimension / 2) frequencies, or one is not positive")
            }
        }
        guard layers.count == layerCount else { throw fail("\(layers.count) layer descriptions for \(layerCount) layers") }
        for layer in layers {
            guard rotaries.indices.contains(layer.rotary) else { throw fail("a layer names rotary embedding \(layer.rotary)") }
            if let window = layer.slidingWindow, window < 1 { throw fail("sliding window \(window) must be positive") }
        }
    }
}

/// The optional parts of a transformer block. Every family's block is pre-norm attention then a
/// gated feed-forward network, each added to the residual stream; these switches add the rest.
public struct BlockRecipe: Sendable, Equatable {
    /// The gate's activation in `down(act(gate(x)) * up(x))`.
    public enum Activation: Sendable, Equatable {
        /// SwiGLU (Llama, Qwen).
        case silu
        /// GeGLU with the tanh approximation of GELU (Gemma).
        case geluTanh
    }

    /// Per-head RMSNorm of queries and keys before the rotation (`attn_q_norm`, `attn_k_norm`).
    public var queryKeyNorm = false
    /// RMSNorm of the attention output before the residual add (`post_attention_norm`).
    public var postAttentionNorm = false
    /// RMSNorm of the feed-forward output before the residual add (`post_ffw_norm`).
    public var postFeedForwardNorm = false
    public var activation = Activation.silu

    public init(
        queryKeyNorm: Bool = false, postAttentionNorm: Bool = false, postFeedForwardNorm: Bool = false,
        activation: Activation = .silu
    ) {
        self.queryKeyNorm = queryKeyNorm
        self.postAttentionNorm = postAttentionNorm
        self.postFeedForwardNorm = postFeedForwardNorm
        self.activation = activation
    }
}
