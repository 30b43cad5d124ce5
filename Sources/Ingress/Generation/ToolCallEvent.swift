/// What the tool-call parser makes of the output so far, in order.
public enum ToolCallEvent: Sendable, Equatable {
    /// Text for the answer's `content`.
    case content(String)
    /// A call begins: OpenAI streams its id and name in the first `delta.tool_calls[index]`.
    case callStart(index: Int, id: String, name: String)
    /// More of call `index`'s arguments JSON (`delta.tool_calls[index].function.arguments`).
    case arguments(index: Int, delta: String)
    /// Call `index` is complete.
    case callEnd(index: Int)
}
