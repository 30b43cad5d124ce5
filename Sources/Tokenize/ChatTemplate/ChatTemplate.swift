/// A value handed to a chat template: the JSON shapes messages are made of.
public enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    /// Keys in order.
    case object([(String, TemplateValue)])

    public static func == (a: TemplateValue, b: TemplateValue) -> Bool {
        a.jinja.equals(b.jinja)
    }

    var jinja: JinjaValue {
        switch self {
        case .null: .none
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .list(let items): .list(items.map(\.jinja))
        case .object(let pairs): .dict(JinjaDict(pairs.map { ($0.0, $0.1.jinja) }))
        }
    }

    /// A message with a role and text content.
    public static func message(role: String, content: String) -> TemplateValue {
        .object([("role", .string(role)), ("content", .string(content))])
    }
}

/// A model's chat template (`tokenizer.chat_template`, Jinja), parsed once and rendered per
/// request the way Hugging Face's `apply_chat_template` does (`trim_blocks`, `lstrip_blocks`,
/// `raise_exception`, `tojson`).
public struct ChatTemplate: Sendable {
    public let source: String
    private let nodes: [JinjaNode]

    /// Parses `source`; syntax errors and unsupported constructs are reported with their line.
    public init(_ source: String) throws(JinjaError) {
        self.source = source
        self.nodes = try JinjaParser.parse(source)
    }

    /// The prompt for `messages`.
    ///
    /// - Throws: ``JinjaError/raised(_:)`` with the template's own message when it rejects the
    ///   conversation, or another ``JinjaError`` when rendering fails.
    public func render(
        messages: [TemplateValue], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
        variables: [String: TemplateValue] = [:]
    ) throws(JinjaError) -> String {
        var globals: [String: JinjaValue] = variables.mapValues(\.jinja)
        globals["messages"] = .list(messages.map(\.jinja))
        globals["add_generation_prompt"] = .bool(addGenerationPrompt)
        globals["bos_token"] = .string(bosToken)
        globals["eos_token"] = .string(eosToken)
        return try JinjaInterpreter(globals: globals).render(nodes)
    }
}
