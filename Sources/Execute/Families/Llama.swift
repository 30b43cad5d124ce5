import GGUF

/// Llama 1-3 and files of the same shape (Mistral 7B, SmolLM, TinyLlama): SwiGLU, NORM rotary
/// layout (llama.cpp's converter permutes q/k for it), optional q/k/v biases. Llama 3.x files
/// carry per-frequency rope divisors in `rope_freqs.weight`; linear rope scaling is applied,
/// any other scaling type refused.
public enum Llama: ModelFamily {
    public static let architecture = "llama"

    public static func configuration(_ parameters: inout HyperParameters) throws(ExecuteError) -> ModelConfiguration {
        var c = try parameters.baseConfiguration(layout: .normal)
        c.rotaries[0].frequencyFactors = try parameters.optionalVector("rope_freqs.weight", length: c.rotaries[0].dimension / 2)
        return c
    }
}
