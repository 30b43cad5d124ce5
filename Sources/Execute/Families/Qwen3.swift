/// Qwen 3 (dense): no biases, per-head RMSNorm of queries and keys before the rotation, NEOX
/// layout, head size from `attention.key_length` (128, while the embedding may be 1024).
public enum Qwen3: ModelFamily {
    public static let architecture = "qwen3"

    public static func configuration(_ parameters: inout HyperParameters) throws(ExecuteError) -> ModelConfiguration {
        var c = try parameters.baseConfiguration(layout: .neox)
        c.block.queryKeyNorm = true
        return c
    }
}
