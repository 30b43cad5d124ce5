import Foundation
import GGUF

/// A tiny random model of one of the engine's families, written to disk by the tests. Its
/// vocabulary is byte-level: token `b` is byte `b`, so a text's token ids are its UTF-8 bytes; a
/// few control tokens follow. The weights are a fixed function of the seed, so every run writes
/// the same bytes.
///
/// Two references check the engine on it: `ref_forward.py` run on the very same file for every
/// family (`scripts/family-fixtures` stores its logits in `Tests/Fixtures/family_logits.json`), and
/// for plain ``Family/llama`` files a float32 forward pass here (``reference()``), which follows
/// whatever weight type, output head and reward head a test picks.
public struct SyntheticModel: Sendable {
    /// The family and the family-specific parts it exercises.
    public enum Family: String, Sendable, CaseIterable, Codable {
        /// Plain Llama: what ``reference()`` computes.
        case llama
        /// Llama with Llama 3 `rope_freqs` factors.
        case llamaRopeFreqs = "llama-rope_freqs"
        /// Llama with linear rope scaling (factor 4): computed like `rope_freqs` all 4.
        case llamaLinear = "llama-linear"
        /// Qwen 2: q/k/v biases, NEOX.
        case qwen2
        /// Qwen 3: q/k norms, head size from key_length (queries wider than the embedding), NEOX.
        case qwen3
        /// Gemma 3: everything, with a 4-token window on local layers and 7 layers (one global).
        case gemma3

        public var architecture: String {
            switch self {
            case .llama, .llamaRopeFreqs, .llamaLinear: "llama"
            case .qwen2: "qwen2"
            case .qwen3: "qwen3"
            case .gemma3: "gemma3"
            }
        }
    }

    public static let controlTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|reward|>"]

    public var family: Family
    public var layers = 2
    public var embedding = 64
    public var heads = 4
    public var kvHeads = 2
    /// `attention.key_length`; `nil` leaves it out (head size = embedding / heads).
    public var keyLength: Int?
    public var feedForward = 128
    public var vocabulary = 272
    public var ropeBase = 10_000.0
    public var epsilon: Float = 1e-6
    public var slidingWindow = 4
    /// Encoding of the weight matrices (norms stay F32, as in real files).
    public var weightType: GGUFTensorType
    /// Whether the token embeddings double as the output head (else `output.weight` is written).
    public var tiedOutput = true
    /// Whether the file has a reward head (`cls.output.weight`, n_embd × 1).
    public var rewardHead = false
    public var seed: UInt64 = 7
    /// Write linear scaling (``Family/llamaLinear``) as the equivalent `rope_freqs` factors, which
    /// the reference understands.
    public var linearScalingAsFactors = false
    /// Extra metadata written after the family's own (to make files the engine must refuse).
    public var extraMetadata: [(String, GGUFValue)] = []
    /// Metadata keys left out of the file (to make files missing what the engine needs).
    public var omittedMetadata: Set<String> = []
    /// Extra F32 vector tensors, name and length.
    public var extraTensors: [(String, Int)] = []

    public init(_ family: Family) {
        self.family = family
        switch family {
        case .llama:
            weightType = .f32
            epsilon = 1e-5
            seed = 1
        case .llamaRopeFreqs:
            weightType = .q8_0
            ropeBase = 500_000
        case .llamaLinear:
            weightType = .f16
        case .qwen2:
            weightType = .f16
            ropeBase = 1_000_000
        case .qwen3:
            weightType = .q8_0
            keyLength = 32
            ropeBase = 1_000_000
        case .gemma3:
            weightType = .q4_0
            layers = 7
            heads = 2
            kvHeads = 1
            keyLength = 64
            ropeBase = 1_000_000
        }
    }

    var headDimension: Int { keyLength ?? embedding / heads }

    /// Llama 3-style factors: 1 for high frequencies rising to 8 for the lowest.
    public var ropeFactors: [Float] {
        let half = headDimension / 2
        return (0..<half).map { i in 1 + 7 * Float(i) / Float(max(half - 1, 1)) }
    }

    /// One tensor of the file, its values before encoding.
    struct Tensor {
        let name: String
        let type: GGUFTensorType
        let shape: [Int]
        let values: [Float]
    }

    /// The file's tensors in file order, drawn from the seed.
    func tensors() -> [Tensor] {
        var random = seed
        func next() -> Float {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: random >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        var tensors: [Tensor] = []
        func matrix(_ name: String, rows: Int, columns: Int, type: GGUFTensorType? = nil, scale: Float) {
            let values = (0..<(rows * columns)).map { _ in next() * scale }
            tensors.append(Tensor(name: name, type: type ?? weightType, shape: [columns, rows], values: values))
        }
        func vector(_ name: String, _ length: Int, scale: Float, offset: Float) {
            tensors.append(Tensor(name: name, type: .f32, shape: [length], values: (0..<length).map { _ in next() * scale + offset }))
        }
        let d = embedding, hd = headDimension, qd = heads * hd, kv = kvHeads * hd
        // Gemma multiplies embeddings by √d; smaller ones keep its activations in range.
        matrix("token_embd.weight", rows: vocabulary, columns: d, scale: family == .gemma3 ? 0.1 : 0.5)
        if family == .llamaRopeFreqs { tensors.append(Tensor(name: "rope_freqs.weight", type: .f32, shape: [hd / 2], values: ropeFactors)) }
        if family == .llamaLinear && linearScalingAsFactors {
            tensors.append(Tensor(name: "rope_freqs.weight", type: .f32, shape: [hd / 2], values: Array(repeating: 4, count: hd / 2)))
        }
        for i in 0..<layers {
            let p = "blk.\(i)."
            vector(p + "attn_norm.weight", d, scale: 0.2, offset: 1)
            matrix(p + "attn_q.weight", rows: qd, columns: d, scale: 0.3)
            matrix(p + "attn_k.weight", rows: kv, columns: d, scale: 0.3)
            matrix(p + "attn_v.weight", rows: kv, columns: d, scale: 0.3)
            if family == .qwen2 {
                vector(p + "attn_q.bias", qd, scale: 0.5, offset: 0)
                vector(p + "attn_k.bias", kv, scale: 0.5, offset: 0)
                vector(p + "attn_v.bias", kv, scale: 0.5, offset: 0)
            }
            if family == .qwen3 || family == .gemma3 {
                vector(p + "attn_q_norm.weight", hd, scale: 0.2, offset: 1)
                vector(p + "attn_k_norm.weight", hd, scale: 0.2, offset: 1)
            }
            matrix(p + "attn_output.weight", rows: d, columns: qd, scale: 0.3)
            if family == .gemma3 { vector(p + "post_attention_norm.weight", d, scale: 0.2, offset: 1) }
            vector(p + "ffn_norm.weight", d, scale: 0.2, offset: 1)
            matrix(p + "ffn_gate.weight", rows: feedForward, columns: d, scale: 0.3)
            matrix(p + "ffn_up.weight", rows: feedForward, columns: d, scale: 0.3)
            matrix(p + "ffn_down.weight", rows: d, columns: feedForward, scale: 0.3)
            if family == .gemma3 { vector(p + "post_ffw_norm.weight", d, scale: 0.2, offset: 1) }
        }
        vector("output_norm.weight", d, scale: 0.2, offset: 1)
        if !tiedOutput { matrix("output.weight", rows: vocabulary, columns: d, scale: 0.5) }
        if rewardHead { matrix("cls.output.weight", rows: 1, columns: d, type: .f32, scale: 0.5) }
        for (name, length) in extraTensors { vector(name, length, scale: 0.1, offset: 1) }
        return tensors
    }

    /// The file's bytes.
    public func serialized() -> [UInt8] {
        let a = family.architecture
        var writer = GGUFWriter()
        writer.set("general.architecture", .string(a))
        writer.set("general.name", .string("synthetic \(family.rawValue)"))
        writer.set("\(a).block_count", .uint32(UInt32(layers)))
        writer.set("\(a).context_length", .uint32(512))
        writer.set("\(a).embedding_length", .uint32(UInt32(embedding)))
        writer.set("\(a).feed_forward_length", .uint32(UInt32(feedForward)))
        writer.set("\(a).attention.head_count", .uint32(UInt32(heads)))
        writer.set("\(a).attention.head_count_kv", .uint32(UInt32(kvHeads)))
        if let keyLength {
            writer.set("\(a).attention.key_length", .uint32(UInt32(keyLength)))
            writer.set("\(a).attention.value_length", .uint32(UInt32(keyLength)))
        }
        writer.set("\(a).rope.freq_base", .float32(Float(ropeBase)))
        writer.set("\(a).attention.layer_norm_rms_epsilon", .float32(epsilon))
        if family == .gemma3 { writer.set("\(a).attention.sliding_window", .uint32(UInt32(slidingWindow))) }
        if family == .llamaLinear && !linearScalingAsFactors {
            writer.set("\(a).rope.scaling.type", .string("linear"))
            writer.set("\(a).rope.scaling.factor", .float32(4))
        }
        for (key, value) in extraMetadata { writer.set(key, value) }

        var tokens = (0..<256).map { String(Character(Self.byteLevelScalar($0))) }
        tokens += Self.controlTokens
        tokens += (tokens.count..<vocabulary).map { "<unused\($0)>" }
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.pre", .string("gpt2"))
        writer.set("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) }))
        let types = (0..<vocabulary).map { $0 < 256 ? 1 : ($0 < 256 + Self.controlTokens.count ? 3 : 5) }
        writer.set("tokenizer.ggml.token_type", .array(.int32, types.map { .int32(Int32($0)) }))
        writer.set("tokenizer.ggml.merges", .array(.string, []))
        writer.set("tokenizer.ggml.bos_token_id", .uint32(256))
        writer.set("tokenizer.ggml.eos_token_id", .uint32(258))
        for key in omittedMetadata { writer.remove(key) }

        for tensor in tensors() { writer.addTensor(tensor.name, type: tensor.type, shape: tensor.shape, values: tensor.values) }
        return writer.serialized()
    }

    /// Writes the file to `path`.
    public func write(to path: String) throws {
        try Data(serialized()).write(to: URL(fileURLWithPath: path))
    }

    /// Writes the file to a fresh temporary path and returns the path. When
    /// `LIGHTSERVE_SYNTHETIC_DIR` is set, also writes it as `<dir>/<family>.gguf` (and the linear
    /// model's factor twin as `llama-linear-as-factors.gguf`) for `scripts/family-fixtures`.
    public func writeForTest() throws -> String {
        let path = TestPaths.temporaryFile()
        try write(to: path)
        if let dir = ProcessInfo.processInfo.environment["LIGHTSERVE_SYNTHETIC_DIR"], !dir.isEmpty {
            let base = URL(fileURLWithPath: dir)
            try write(to: base.appendingPathComponent("\(family.rawValue).gguf").path)
            if family == .llamaLinear {
                var twin = self
                twin.linearScalingAsFactors = true
                try twin.write(to: base.appendingPathComponent("llama-linear-as-factors.gguf").path)
            }
        }
        return path
    }

    /// The float32 reference forward pass of this plain ``Family/llama`` model, on its weights as
    /// the file holds them (encoded, then decoded).
    public func reference() -> SyntheticReference {
        precondition(family == .llama, "the Swift reference computes plain llama files; \(family.rawValue)'s is ref_forward.py")
        var weights: [String: [Float]] = [:]
        for tensor in tensors() {
            weights[tensor.name] = tensor.type.encode(tensor.values).withUnsafeBytes { tensor.type.decode($0, count: tensor.values.count) }
        }
        return SyntheticReference(model: self, weights: weights)
    }

    /// GPT-2's byte-to-character map (printable Latin-1 bytes stand for themselves).
    static func byteLevelScalar(_ byte: Int) -> Unicode.Scalar {
        var shifted: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if b == byte { return printable ? Unicode.Scalar(UInt8(b)) : Unicode.Scalar(shifted)! }
            if !printable { shifted += 1 }
        }
        fatalError("byte \(byte) out of range")
    }
}
