/// The weights of one transformer block, as the file has them or packed for the kernels
/// (``TensorLoader/productMatrix(_:columns:rows:)``). Which optional parts are
/// present follows the model's ``BlockRecipe`` (and, for q/k/v biases, the file).
struct TransformerLayer {
    let attentionNorm: [Float]
    let query: WeightMatrix
    let key: WeightMatrix
    let value: WeightMatrix
    /// q/k/v biases (Qwen 2), as the file has them.
    let queryBias: [Float]?
    let keyBias: [Float]?
    let valueBias: [Float]?
    /// Per-head gains, `headDimension` long (Qwen 3, Gemma 3).
    let queryNorm: [Float]?
    let keyNorm: [Float]?
    let attentionOutput: WeightMatrix
    let postAttentionNorm: [Float]?
    let feedForwardNorm: [Float]
    let gate: WeightMatrix
    let up: WeightMatrix
    let down: WeightMatrix
    let postFeedForwardNorm: [Float]?

    init(index: Int, configuration c: ModelConfiguration, loader: inout TensorLoader) throws(ExecuteError) {
        let p = "blk.\(index)."
        let d = c.embeddingLength, qd = c.queryDimension, kvd = c.kvDimension, ff = c.feedForwardLength
        attentionNorm = try loader.vector(p + "attn_norm.weight", length: d)
        query = try loader.productMatrix(p + "attn_q.weight", columns: d, rows: qd)
        key = try loader.productMatrix(p + "attn_k.weight", columns: d, rows: kvd)
        value = try loader.productMatrix(p + "attn_v.weight", columns: d, rows: kvd)
        queryBias = try loader.optionalVector(p + "attn_q.bias", length: qd)
        keyBias = try loader.optionalVector(p + "attn_k.bias", length: kvd)
        valueBias = try loader.optionalVector(p + "attn_v.bias", length: kvd)
        let r = c.block
        queryNorm = r.queryKeyNorm ? try loader.vector(p + "attn_q_norm.weight", length: c.headDimension) : nil
        keyNorm = r.queryKeyNorm ? try loader.vector(p + "attn_k_norm.weight", length: c.headDimension) : nil
        attentionOutput = try loader.productMatrix(p + "attn_output.weight", columns: qd, rows: d)
        postAttentionNorm = r.postAttentionNorm ? try loader.vector(p + "post_attention_norm.weight", length: d) : nil
        feedForwardNorm = try loader.vector(p + "ffn_norm.weight", length: d)
        gate = try loader.productMatrix(p + "ffn_gate.weight", columns: d, rows: ff)
        up = try loader.productMatrix(p + "ffn_up.weight", columns: d, rows: ff)
        down = try loader.productMatrix(p + "ffn_down.weight", columns: ff, rows: d)
        postFeedForwardNorm = r.postFeedForwardNorm ? try loader.vector(p + "post_ffw_norm.weight", length: d) : nil
    }
}
