/// A piece of a reasoning model's output.
public enum ReasoningEvent: Sendable, Equatable {
    /// Text of the reasoning block (`delta.reasoning_content`).
    case reasoning(String)
    /// Text of the answer (`delta.content`).
    case content(String)
}
