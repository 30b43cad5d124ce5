import LightServeCore

/// How a choice's generated text is read back before the client sees it: as is (LightLLM, and
/// OpenAI requests that need nothing more), or split into the model's reasoning, its answer and
/// its tool calls.
/// Decided once per request by the API adapter from what the request asked for and the model's
/// chat format.
struct OutputParsing: Sendable, Equatable {
    /// The syntax tool calls are read in, when the request offered tools the model may call.
    var toolCalls: ToolCallFormat?
    /// The offered functions' names: an object naming another function is not read as a call.
    var toolNames: Set<String>?
    /// The tags the model reasons in, when its reasoning is returned apart from the answer.
    var reasoning: ReasoningTags?

    /// Returned as generated.
    static let plain = OutputParsing()
}
