import GGUF

/// A Llama-architecture model: configuration plus weights, which stay quantized inside the
/// memory-mapped file. Immutable; every computation on it goes through a ``ModelRunner``.
public final class LlamaModel: @unchecked Sendable {
    // Immutable after init; the weight views point into `file`'s read-only mapping, which this
    // object keeps alive.

    struct Layer {
        let attentionNorm: [Float]
        let query: WeightMatrix
        let key: WeightMatrix
        let value: WeightMatrix
        let attentionOutput: WeightMatrix
        let feedForwardNorm: [Float]
        let gate: WeightMatrix
        let up: WeightMatrix
        let down: WeightMatrix
    }

    public let file: GGUFFile
    public let configuration: LlamaConfiguration
    let embedding: WeightMatrix
    let layers: [Layer]
    let outputNorm: [Float]
    let output: WeightMatrix
    /// InternLM2-style reward head: one row of `embeddingLength` applied to the final normed state.
    let rewardHead: WeightMatrix?

    /// Whether the model can score (`/get_score`).
    public var hasRewardHead: Bool { rewardHead != nil }

    /// Loads the model at `path`.
    public convenience init(path: String) throws(ExecuteError) {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw .model(error)
        }
        try self.init(file: file)
    }

    public init(file: GGUFFile) throws(ExecuteError) {
        let c = try LlamaConfiguration(gguf: file)
        self.file = file
        self.configuration = c
        let d = c.embeddingLength
        embedding = try WeightMatrix(file, "token_embd.weight", columns: d, rows: c.vocabularySize)
        layers = try (0..<c.layerCount).map { (i: Int) throws(ExecuteError) -> Layer in
            let p = "blk.\(i)."
            return Layer(
                attentionNorm: try WeightMatrix.vector(file, p + "attn_norm.weight", length: d),
                query: try WeightMatrix(file, p + "attn_q.weight", columns: d, rows: c.headCount * c.headDimension),
                key: try WeightMatrix(file, p + "attn_k.weight", columns: d, rows: c.kvDimension),
                value: try WeightMatrix(file, p + "attn_v.weight", columns: d, rows: c.kvDimension),
                attentionOutput: try WeightMatrix(file, p + "attn_output.weight", columns: d, rows: d),
                feedForwardNorm: try WeightMatrix.vector(file, p + "ffn_norm.weight", length: d),
                gate: try WeightMatrix(file, p + "ffn_gate.weight", columns: d, rows: c.feedForwardLength),
                up: try WeightMatrix(file, p + "ffn_up.weight", columns: d, rows: c.feedForwardLength),
                down: try WeightMatrix(file, p + "ffn_down.weight", columns: c.feedForwardLength, rows: d))
        }
        outputNorm = try WeightMatrix.vector(file, "output_norm.weight", length: d)
        if file.tensor(named: "output.weight") != nil {
            output = try WeightMatrix(file, "output.weight", columns: d, rows: c.vocabularySize)
        } else {
            output = embedding  // tied embeddings
        }
        rewardHead =
            file.tensor(named: "cls.output.weight") != nil
            ? try WeightMatrix(file, "cls.output.weight", columns: d, rows: 1) : nil
    }
}
