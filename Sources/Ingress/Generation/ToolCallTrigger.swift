/// Text whose appearance in the output starts tool calls.
public struct ToolCallTrigger: Sendable, Equatable {
    /// The text itself.
    public let text: String
    /// Whether the text is one token in the vocabularies of the models that speak the format
    /// (`<tool_call>`, `<|python_tag|>`, `[TOOL_CALLS]`): look it up by this text to trigger on
    /// the token id. The detokenizer must let its text through to the parser.
    public let isToken: Bool
    /// Whether it counts only as the first thing in the output (white space aside), as Llama's
    /// bare `{` does: later in an answer it is just text.
    public let onlyAtStart: Bool
    /// Whether the text is the start of the call's JSON itself (Llama's `{`) rather than markup
    /// in front of it.
    public let opensCall: Bool

    public init(text: String, isToken: Bool, onlyAtStart: Bool = false, opensCall: Bool = false) {
        self.text = text
        self.isToken = isToken
        self.onlyAtStart = onlyAtStart
        self.opensCall = opensCall
    }
}
