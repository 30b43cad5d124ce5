import Foundation
import GGUF

/// A tiny random Llama-architecture model that tests write to disk themselves, with a plain
/// float32 reference forward pass (the same textbook computation as `llama_ref.py`) to check
/// the engine against. Its vocabulary is byte-level: token `b` is byte `b`, so a text's token
/// ids are its UTF-8 bytes; a few control tokens follow.
public struct SyntheticLlama {
    public var layers = 2
    public var embedding = 64
    public var heads = 4
    public var kvHeads = 2
    public var feedForward = 128
    public var vocabulary = 272
    public var ropeBase = 10_000.0
    public var epsilon: Float = 1e-5
    /// Encoding of the weight matrices (norms stay F32, as in real files).
    public var weightType: GGUFTensorType = .f32
    public var tiedOutput = true
    public var rewardHead = false
    public var seed: UInt64 = 1

    public static let controlTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|reward|>"]

    /// Weights after encoding and decoding, keyed by tensor name (`[rows][columns]` flattened).
    public private(set) var weights: [String: [Float]] = [:]

    public init() {}

    var headDimension: Int { embedding / heads }

    /// Writes the model to `path` and remembers the weights the reference uses.
    public mutating func write(to path: String) throws {
        var random = seed
        func next() -> Float {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: random >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string("synthetic"))
        writer.set("llama.block_count", .uint32(UInt32(layers)))
        writer.set("llama.context_length", .uint32(512))
        writer.set("llama.embedding_length", .uint32(UInt32(embedding)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(feedForward)))
        writer.set("llama.attention.head_count", .uint32(UInt32(heads)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(kvHeads)))
        writer.set("llama.rope.freq_base", .float32(Float(ropeBase)))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(epsilon))
        writer.set("llama.vocab_size", .uint32(UInt32(vocabulary)))

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

        weights = [:]
        func add(_ name: String, rows: Int, columns: Int, type: GGUFTensorType, scale: Float, offset: Float = 0) {
            let values = (0..<(rows * columns)).map { _ in next() * scale + offset }
            // Norm gains are vectors; every matrix, the n_embd × 1 reward head included, is 2-D.
            let shape = name.hasSuffix("norm.weight") ? [columns] : [columns, rows]
            writer.addTensor(name, type: type, shape: shape, values: values)
            weights[name] = type.encode(values).withUnsafeBytes { type.decode($0, count: values.count) }
        }
        let d = embedding, kv = kvHeads * headDimension
        add("token_embd.weight", rows: vocabulary, columns: d, type: weightType, scale: 0.5)
        for i in 0..<layers {
            let p = "blk.\(i)."
            add(p + "attn_norm.weight", rows: 1, columns: d, type: .f32, scale: 0.2, offset: 1)
            add(p + "attn_q.weight", rows: d, columns: d, type: weightType, scale: 0.3)
            add(p + "attn_k.weight", rows: kv, columns: d, type: weightType, scale: 0.3)
            add(p + "attn_v.weight", rows: kv, columns: d, type: weightType, scale: 0.3)
            add(p + "attn_output.weight", rows: d, columns: d, type: weightType, scale: 0.3)
            add(p + "ffn_norm.weight", rows: 1, columns: d, type: .f32, scale: 0.2, offset: 1)
            add(p + "ffn_gate.weight", rows: feedForward, columns: d, type: weightType, scale: 0.3)
            add(p + "ffn_up.weight", rows: feedForward, columns: d, type: weightType, scale: 0.3)
            add(p + "ffn_down.weight", rows: d, columns: feedForward, type: weightType, scale: 0.3)
        }
        add("output_norm.weight", rows: 1, columns: d, type: .f32, scale: 0.2, offset: 1)
        if !tiedOutput { add("output.weight", rows: vocabulary, columns: d, type: weightType, scale: 0.5) }
        if rewardHead { add("cls.output.weight", rows: 1, columns: d, type: .f32, scale: 0.5) }
        try Data(writer.serialized()).write(to: URL(fileURLWithPath: path))
    }

    // MARK: Reference forward pass

    private func halfRounded(_ x: [Float]) -> [Float] { x.map { Float(Float16($0)) } }

    /// Final-normed hidden state of every position.
    public func referenceHidden(_ ids: [Int32]) -> [[Float]] {
        let d = embedding, hd = headDimension, group = heads / kvHeads
        var x = ids.map { row("token_embd.weight", Int($0), d) }
        for layer in 0..<layers {
            let p = "blk.\(layer)."
            let h = x.map { rmsNorm($0, weights[p + "attn_norm.weight"]!) }
            var q = h.map { matvec(p + "attn_q.weight", $0, rows: d) }
            var k = h.map { matvec(p + "attn_k.weight", $0, rows: kvHeads * hd) }
            // Keys and values rounded to half precision, as the engine's KV cache stores them.
            let v = h.map { halfRounded(matvec(p + "attn_v.weight", $0, rows: kvHeads * hd)) }
            for t in ids.indices {
                q[t] = rope(q[t], position: t, headCount: heads)
                k[t] = halfRounded(rope(k[t], position: t, headCount: kvHeads))
            }
            var attention = [[Float]](repeating: [Float](repeating: 0, count: d), count: ids.count)
            for t in ids.indices {
                for head in 0..<heads {
                    let kvHead = head / group
                    let qh = Array(q[t][(head * hd)..<((head + 1) * hd)])
                    var scores = (0...t).map { s -> Float in
                        let kh = k[s][(kvHead * hd)..<((kvHead + 1) * hd)]
                        return zip(qh, kh).reduce(0) { $0 + $1.0 * $1.1 } / sqrt(Float(hd))
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let z = scores.reduce(0, +)
                    for s in 0...t {
                        for j in 0..<hd { attention[t][head * hd + j] += scores[s] / z * v[s][kvHead * hd + j] }
                    }
                }
            }
            for t in ids.indices {
                let o = matvec(p + "attn_output.weight", attention[t], rows: d)
                for j in 0..<d { x[t][j] += o[j] }
                let n = rmsNorm(x[t], weights[p + "ffn_norm.weight"]!)
                let g = matvec(p + "ffn_gate.weight", n, rows: feedForward)
                let u = matvec(p + "ffn_up.weight", n, rows: feedForward)
                let a = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                let down = matvec(p + "ffn_down.weight", a, rows: d)
                for j in 0..<d { x[t][j] += down[j] }
            }
        }
        return x.map { rmsNorm($0, weights["output_norm.weight"]!) }
    }

    /// Logits of the last position.
    public func referenceLogits(_ ids: [Int32]) -> [Float] {
        let head = tiedOutput ? "token_embd.weight" : "output.weight"
        return matvec(head, referenceHidden(ids).last!, rows: vocabulary)
    }

    /// The reward head applied to the last position.
    public func referenceScore(_ ids: [Int32]) -> Float {
        matvec("cls.output.weight", referenceHidden(ids).last!, rows: 1)[0]
    }

    private func row(_ name: String, _ r: Int, _ columns: Int) -> [Float] {
        Array(weights[name]![(r * columns)..<((r + 1) * columns)])
    }

    private func matvec(_ name: String, _ x: [Float], rows: Int) -> [Float] {
        let w = weights[name]!
        return (0..<rows).map { r in
            var sum: Float = 0
            for j in x.indices { sum += w[r * x.count + j] * x[j] }
            return sum
        }
    }

    private func rmsNorm(_ x: [Float], _ gain: [Float]) -> [Float] {
        let meanSquare = x.reduce(0) { $0 + $1 * $1 } / Float(x.count)
        let scale = 1 / sqrt(meanSquare + epsilon)
        return zip(x, gain).map { $0 * scale * $1 }
    }

    private func rope(_ x: [Float], position: Int, headCount: Int) -> [Float] {
        let hd = headDimension
        var out = x
        for head in 0..<headCount {
            for i in 0..<(hd / 2) {
                let angle = Double(position) * pow(ropeBase, -Double(2 * i) / Double(hd))
                let c = Float(cos(angle)), s = Float(sin(angle))
                let a = x[head * hd + 2 * i], b = x[head * hd + 2 * i + 1]
                out[head * hd + 2 * i] = a * c - b * s
                out[head * hd + 2 * i + 1] = a * s + b * c
            }
        }
        return out
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
