import GGUF

/// A model file's hyper-parameters, read under its own `{arch}.` prefix (`gemma3.block_count`),
/// with the readings every family shares.
///
/// It records every `{arch}.*` key and every tensor a family reads through it: those are what
/// the family declares it uses, and ``LanguageModel`` refuses a file carrying anything else
/// (see ``MetadataKeyRules``), rather than computing the model without it.
public struct HyperParameters {
    public let file: GGUFFile
    /// `general.architecture`: the key prefix.
    public let architecture: String
    /// Full names of the keys read so far (present or not).
    public private(set) var readKeys: Set<String> = []
    /// Tensors the family read itself (beyond the blocks ``LanguageModel`` loads).
    public private(set) var readTensors: Set<String> = []

    public init(file: GGUFFile, architecture: String) {
        self.file = file
        self.architecture = architecture
    }

    /// `{arch}.key`.
    public func key(_ name: String) -> String { "\(architecture).\(name)" }

    /// `{arch}.name`, or an error naming it when the file lacks it.
    public mutating func requireInt(_ name: String) throws(ExecuteError) -> Int {
        readKeys.insert(key(name))
        do { return try file.requireInt(key(name)) } catch { throw .model(error) }
    }

    public mutating func int(_ name: String) throws(ExecuteError) -> Int? {
        readKeys.insert(key(name))
        do { return try file.int(key(name)) } catch { throw .model(error) }
    }

    public mutating func requireDouble(_ name: String) throws(ExecuteError) -> Double {
        readKeys.insert(key(name))
        do { return try file.requireDouble(key(name)) } catch { throw .model(error) }
    }

    public mutating func double(_ name: String) throws(ExecuteError) -> Double? {
        readKeys.insert(key(name))
        do { return try file.double(key(name)) } catch { throw .model(error) }
    }

    public mutating func string(_ name: String) throws(ExecuteError) -> String? {
        readKeys.insert(key(name))
        do { return try file.string(key(name)) } catch { throw .model(error) }
    }

    /// The float values of the one-dimensional tensor `name` (`rope_freqs.weight`), if the file
    /// has it.
    public mutating func optionalVector(_ tensor: String, length: Int) throws(ExecuteError) -> [Float]? {
        guard file.tensor(named: tensor) != nil else { return nil }
        readTensors.insert(tensor)
        return try WeightMatrix.vector(file, tensor, length: length)
    }

    /// The configuration every family starts from: sizes, epsilon, context, vocabulary, the head
    /// size (`attention.key_length` when present, else `embedding_length / head_count`), and
    /// one rotary embedding over `rope.dimension_count` dims with `rope.freq_base` and the
    /// file's rope scaling, in `layout`. Every layer global, no optional block parts.
    /// The context length is required, as llama.cpp requires it: a guess could let prompts run
    /// past what the model was trained for.
    public mutating func baseConfiguration(layout: RotaryEmbedding.Layout) throws(ExecuteError) -> ModelConfiguration {
        let embedding = try requireInt("embedding_length")
        let heads = try requireInt("attention.head_count")
        guard heads > 0 else { throw .invalidHyperParameters("\(key("attention.head_count")) is \(heads)") }
        let keyLength = try int("attention.key_length")
        let valueLength = try int("attention.value_length")
        if let keyLength, let valueLength, keyLength != valueLength {
            throw .invalidHyperParameters("key heads of \(keyLength) and value heads of \(valueLength) differ; only equal sizes are supported")
        }
        if keyLength == nil, embedding % heads != 0 {
            throw .invalidHyperParameters("embedding length \(embedding) is not a multiple of \(heads) heads")
        }
        let headDimension = keyLength ?? valueLength ?? embedding / heads
        let vocabulary: Int
        if let size = try int("vocab_size") {
            vocabulary = size
        } else {
            do { vocabulary = try file.requireTensor("token_embd.weight").rowCount } catch { throw .model(error) }
        }
        var c = ModelConfiguration(
            architecture: architecture, layerCount: try requireInt("block_count"), embeddingLength: embedding,
            feedForwardLength: try requireInt("feed_forward_length"), headCount: heads,
            kvHeadCount: try int("attention.head_count_kv") ?? heads, headDimension: headDimension,
            rmsEpsilon: Float(try requireDouble("attention.layer_norm_rms_epsilon")),
            contextLength: try requireInt("context_length"), vocabularySize: vocabulary)
        c.rotaries = [
            RotaryEmbedding(
                base: try double("rope.freq_base") ?? 10_000, dimension: try int("rope.dimension_count") ?? headDimension,
                layout: layout, positionScale: try ropePositionScale())
        ]
        return c
    }

    /// The position multiplier of the file's rope scaling: 1 without scaling, `1/factor` for
    /// linear scaling; any other scaling type (YaRN, LongRoPE, ...) is refused, since computing
    /// it as unscaled would give wrong logits.
    public mutating func ropePositionScale() throws(ExecuteError) -> Double {
        let type = try string("rope.scaling.type")
        switch type {
        case nil, "none":
            // Older files give linear scaling as a bare factor.
            if let factor = try double("rope.scale_linear"), factor != 1 {
                guard factor > 0 else { throw .invalidHyperParameters("\(key("rope.scale_linear")) is \(factor)") }
                return 1 / factor
            }
            return 1
        case "linear":
            let factor = try double("rope.scaling.factor") ?? 1
            guard factor > 0 else { throw .invalidHyperParameters("\(key("rope.scaling.factor")) is \(factor)") }
            return 1 / factor
        case let other?:
            throw .unsupportedRopeScaling(other)
        }
    }
}
