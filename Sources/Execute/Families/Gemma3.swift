import GGUF

/// Gemma 3 (text): embeddings × √n_embd; RMSNorm gains used as stored (the converter already
/// added Gemma's 1); q/k norms; norms on the attention and FFN outputs before each residual add;
/// GeGLU with tanh-GELU; NEOX layout; head size 256 (so queries are wider than the embedding).
/// Five local layers (`attention.sliding_window`, required as llama.cpp requires it; rope base
/// 10,000, no scaling) alternate with one global layer (`rope.freq_base` and the file's
/// scaling): layer `i` is local when `i % 6 < 5`. Gemma 2-style soft-capping, which Gemma 3's
/// configuration still defines (Google's released files leave it off): `final_logit_softcapping`
/// is computed on the logits; `attn_logit_softcapping` would cap every attention score inside the
/// attention kernel, which does not implement it, so such a file is refused by that key.
public enum Gemma3: ModelFamily {
    public static let architecture = "gemma3"
    /// Local layers per global one, plus one.
    static let layerPattern = 6
    static let localRopeBase = 10_000.0

    public static func configuration(_ parameters: inout HyperParameters) throws(ExecuteError) -> ModelConfiguration {
        var c = try parameters.baseConfiguration(layout: .neox)
        c.block = BlockRecipe(queryKeyNorm: true, postAttentionNorm: true, postFeedForwardNorm: true, activation: .geluTanh)
        c.embeddingScale = Float(c.embeddingLength).squareRoot()
        // Gemma 3 27B scales scores by 1/√(n_embd/n_head) rather than by the head size (as
        // llama.cpp does, which recognises it by its 62 layers).
        if c.layerCount == 62 { c.attentionScale = 1 / (Float(c.embeddingLength) / Float(c.headCount)).squareRoot() }
        let window = try parameters.requireInt("attention.sliding_window")
        if let cap = try parameters.double("final_logit_softcapping") {
            guard cap > 0, cap.isFinite else { throw .invalidHyperParameters("\(parameters.key("final_logit_softcapping")) is \(cap)") }
            c.finalLogitSoftCap = Float(cap)
        }
        if try parameters.double("attn_logit_softcapping") != nil {
            throw .unsupportedFeature(
                key: parameters.key("attn_logit_softcapping"), "attention-score soft-capping is not implemented by the attention kernels")
        }
        var local = c.rotaries[0]
        local.base = localRopeBase
        local.positionScale = 1
        c.rotaries.append(local)
        c.layers = (0..<c.layerCount).map { i in
            i % layerPattern < layerPattern - 1
                ? ModelConfiguration.LayerParameters(rotary: 1, slidingWindow: window)
                : ModelConfiguration.LayerParameters(rotary: 0, slidingWindow: nil)
        }
        return c
    }
}
