/// A conversation to be rendered into a prompt by the model's chat template, as Hugging Face's
/// `apply_chat_template` is called: the messages and tools exactly as the client sent them
/// (every field kept, for templates that read more than `role` and `content`), plus the
/// template variables the client set.
public struct ChatPrompt: Sendable, Equatable {
    /// The messages, each a JSON object with at least a `role`.
    public var messages: [JSON]
    /// Function tools (`{"type": "function", "function": {...}}`), handed to the template as
    /// `tools`; nil leaves `tools` undefined, as it is for a request without tools.
    public var tools: [JSON]?
    /// Ends the prompt with the assistant's turn opening.
    public var addGenerationPrompt: Bool
    /// Further template variables (`chat_template_kwargs`, e.g. `enable_thinking`).
    public var variables: [(String, JSON)]
    /// Overrides for the `bos_token` / `eos_token` texts the template sees.
    public var bosToken: String?
    public var eosToken: String?

    public init(
        messages: [JSON], tools: [JSON]? = nil, addGenerationPrompt: Bool = true, variables: [(String, JSON)] = [],
        bosToken: String? = nil, eosToken: String? = nil
    ) {
        self.messages = messages
        self.tools = tools
        self.addGenerationPrompt = addGenerationPrompt
        self.variables = variables
        self.bosToken = bosToken
        self.eosToken = eosToken
    }

    public static func == (a: ChatPrompt, b: ChatPrompt) -> Bool {
        a.messages == b.messages && a.tools == b.tools && a.addGenerationPrompt == b.addGenerationPrompt
            && JSON.object(a.variables) == JSON.object(b.variables) && a.bosToken == b.bosToken && a.eosToken == b.eosToken
    }

    /// The UTF-8 length of the messages and tools as JSON: a stand-in for the rendered prompt's
    /// length before the template runs.
    public var textLengthEstimate: Int {
        messages.reduce(0) { $0.addingSaturated($1.serialized.utf8.count) }
            .addingSaturated((tools ?? []).reduce(0) { $0.addingSaturated($1.serialized.utf8.count) })
    }
}
