import LightServeCore

/// What a chat request lets the model do with the tools it offers (OpenAI's `tool_choice`),
/// decided once when the request is read.
enum ToolChoice: Sendable, Equatable {
    /// No calls: the tools are not shown to the model.
    case none
    /// Text, calls, or both, as the model decides; each call it opens is kept well-formed.
    case auto
    /// The answer is one or more calls (one with `parallel_tool_calls: false`).
    case required
    /// The answer is one call of this function.
    case function(String)

    /// `tool_choice` against the request's `tools`: absent means `auto` with tools and `none`
    /// without; a named function must be one of the tools.
    static func parse(_ value: JSON?, tools: [JSON]?) throws(APIError) -> ToolChoice {
        let choice: ToolChoice
        switch value {
        case nil, .null?:
            return tools == nil ? .none : .auto
        case .string("none")?: choice = .none
        case .string("auto")?: choice = .auto
        case .string("required")?: choice = .required
        case .object?:
            guard value?["type"] == .string("function"), let name = value?["function"]?["name"]?.string else {
                throw APIError.invalid("tool_choice", "must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}")
            }
            choice = .function(name)
        default:
            throw APIError.invalid("tool_choice", "must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}")
        }
        guard let tools else {
            if choice == .none { return .none }
            throw APIError.invalid("tool_choice", "needs tools")
        }
        if case .function(let name) = choice, !tools.contains(where: { $0["function"]?["name"]?.string == name }) {
            throw APIError.invalid("tool_choice.function.name", "'\(name)' is not one of the tools")
        }
        return choice
    }
}
