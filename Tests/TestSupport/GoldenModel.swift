/// The real models the golden suites run, each with its golden data in `Tests/Fixtures` (copied
/// from the reference material: llama.cpp's tokenizations, the float32 reference's logits).
public enum GoldenModel: String, CaseIterable, Sendable {
    /// SmolLM2-135M-Instruct Q4_1 (llama, byte-level BPE `smollm`): packed Q4_1 layers, a tied
    /// Q8_0 head.
    case smolLM2 = "SmolLM2-135M-Instruct Q4_1"
    /// Gemma 3 270M Q4_K_M (SentencePiece): K-quants with Q5_0 and Q8_0 fallbacks, sliding-window
    /// layers.
    case gemma3 = "Gemma 3 270M Q4_K_M"
    /// Qwen2.5-Coder-0.5B-Instruct Q4_K_M (qwen2, byte-level BPE `qwen2`): q/k/v biases, NEOX
    /// rotary.
    case qwen25Coder = "Qwen2.5-Coder-0.5B-Instruct Q4_K_M"

    /// The model file, fetched on first use (``TestModel``).
    public func path() throws -> String {
        switch self {
        case .smolLM2: try TestModel.path()
        case .gemma3: try TestModel.gemma3()
        case .qwen25Coder: try TestModel.named("qwen2.5-coder-0.5b")
        }
    }

    /// The reference logits: per prompt its ids, the last position's top five, the greedy
    /// continuation and its margins.
    public var logitsFixture: String {
        switch self {
        case .smolLM2: "logits.json"
        case .gemma3: "gemma3_logits.json"
        case .qwen25Coder: "qwen25coder05b_logits.json"
        }
    }

    /// llama.cpp's tokenizations (special tokens recognised, no BOS added).
    public var tokenizeFixture: String {
        switch self {
        case .smolLM2: "tokenize.json"
        case .gemma3: "gemma3_tokenize.json"
        case .qwen25Coder: "qwen25coder05b_tokenize.json"
        }
    }
}
