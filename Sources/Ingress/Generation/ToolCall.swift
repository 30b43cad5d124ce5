/// One function call the model made, in OpenAI's shape (`tool_calls[i]`).
public struct ToolCall: Sendable, Equatable {
    /// `call_` and 24 letters and digits, made up by the parser.
    public var id: String
    public var name: String
    /// The arguments as the model wrote them, JSON text (OpenAI's `function.arguments`). It is
    /// valid JSON whenever the model's output was, which a grammar guarantees; a call cut short
    /// (`finish_reason: length`) keeps what was written.
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}
