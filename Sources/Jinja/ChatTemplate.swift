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
    /// - Parameters:
    ///   - tools: the request's tool definitions (`{"type": "function", "function": {...}}`),
    ///     passed as `tools`; `nil` passes `none`, as `apply_chat_template(tools=None)` does, so
    ///     `{% if tools %}` is false and `tools is defined` still true.
    ///   - variables: further names the template may read (`chat_template_kwargs` such as
    ///     `enable_thinking`); the names above take precedence over them.
    /// - Throws: ``JinjaError/raised(_:)`` with the template's own message when it rejects the
    ///   conversation, or another ``JinjaError`` when rendering fails.
    public func render(
        messages: [TemplateValue], tools: [TemplateValue]? = nil, addGenerationPrompt: Bool, bosToken: String,
        eosToken: String, variables: [String: TemplateValue] = [:]
    ) throws(JinjaError) -> String {
        var globals: [String: JinjaValue] = variables.mapValues(\.jinja)
        globals["messages"] = .list(messages.map(\.jinja))
        globals["tools"] = tools.map { .list($0.map(\.jinja)) } ?? JinjaValue.none
        globals["add_generation_prompt"] = .bool(addGenerationPrompt)
        globals["bos_token"] = .string(bosToken)
        globals["eos_token"] = .string(eosToken)
        return try JinjaInterpreter(globals: globals).render(nodes)
    }
}
