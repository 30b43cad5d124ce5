/// How a choice's generated text is read back before the client sees it: as is (LightLLM, and
/// OpenAI requests that need nothing more), or split into the answer, the model's reasoning and
/// its tool calls. Decided once per request by the API adapter from what the request asked for
/// and what the model's chat format is.
struct OutputParsing: Sendable, Equatable {
    /// Returned as generated.
    static let plain = OutputParsing()
}
