import Jinja
import LightServeCore

/// The model's chat template with the texts of its BOS and EOS tokens: renders a
/// ``ChatPrompt`` into the prompt text the Tokenize stage then tokenizes, the way Hugging Face's
/// `apply_chat_template` does.
public struct ChatRenderer: Sendable {
    public let template: ChatTemplate
    public let bosToken: String
    public let eosToken: String
    /// The tags the model reasons in, when its template writes them.
    public let reasoning: ReasoningTags?

    public init(template: ChatTemplate, bosToken: String, eosToken: String) {
        self.template = template
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.reasoning = ReasoningTags.used(by: template.source)
    }

    /// The model's template from its vocabulary's special-token texts.
    public init(template: ChatTemplate, vocabulary: Vocabulary) {
        func text(_ id: Int32?) -> String { id.map { vocabulary.tokens[Int($0)] } ?? "" }
        self.init(template: template, bosToken: text(vocabulary.bosID), eosToken: text(vocabulary.eosID))
    }

    /// The prompt text; a template that raises (or cannot render) is the client's error, with
    /// the template's own message.
    public func render(_ chat: ChatPrompt) -> Result<String, RequestError> {
        let variables = Dictionary(chat.variables.map { ($0.0, TemplateValue($0.1)) }, uniquingKeysWith: { _, last in last })
        do {
            return .success(try template.render(
                messages: chat.messages.map(TemplateValue.init), tools: chat.tools?.map(TemplateValue.init),
                addGenerationPrompt: chat.addGenerationPrompt, bosToken: chat.bosToken ?? bosToken,
                eosToken: chat.eosToken ?? eosToken, variables: variables))
        } catch {
            return .failure(.chatTemplate("\(error)"))
        }
    }
}
