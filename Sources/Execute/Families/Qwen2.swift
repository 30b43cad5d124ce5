/// Qwen 2 and 2.5 (and DeepSeek-R1 distills of them): the Llama block with q/k/v biases and the
/// NEOX rotary layout.
public enum Qwen2: ModelFamily {
    public static let architecture = "qwen2"

    public static func configuration(_ parameters: inout HyperParameters) throws(ExecuteError) -> ModelConfiguration {
        try parameters.baseConfiguration(layout: .neox)
    }
}
