import HTTPTypes
import Jinja

/// The model's chat template with the texts of its BOS and EOS tokens.
public struct ChatSetup: Sendable {
    public var template: ChatTemplate
    public var bosToken: String
    public var eosToken: String

    public init(template: ChatTemplate, bosToken: String, eosToken: String) {
        self.template = template
        self.bosToken = bosToken
        self.eosToken = eosToken
    }

    /// The prompt for `messages`, rendered off the cooperative pool; a template that raises
    /// (or fails) answers 400 with its own message.
    func render(
        _ messages: [TemplateValue], addGenerationPrompt: Bool = true, bosToken: String? = nil, eosToken: String? = nil
    ) async throws(APIError) -> String {
        let template = self.template
        let bos = bosToken ?? self.bosToken
        let eos = eosToken ?? self.eosToken
        do {
            return try await OffPoolWork.run { () throws(JinjaError) -> String in
                try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bos, eosToken: eos)
            }
        } catch {
            throw APIError(.badRequest, "\(error)", parameter: "messages")
        }
    }
}

/// What Ingress needs to know about the server and the model it fronts.
public struct IngressConfiguration: Sendable {
    /// The name `/get_model_name` and the OpenAI endpoints report.
    public var modelName: String
    /// The model's `general.architecture` and quantization (`Q4_K_M`), reported next to its name.
    public var architecture: String
    public var quantization: String
    /// Largest request body accepted (`--max-body-bytes`); larger ones get 413.
    public var maxBodyBytes: Int
    /// `max_new_tokens` when a request gives none (`--default-max-new-tokens`).
    public var defaultMaxNewTokens: Int
    /// Largest prompt + new tokens of one request (`--max-req-total-len`).
    public var maxRequestLength: Int
    /// The most tokens a request may ask for: the request length less one prompt token.
    public var maxNewTokensLimit: Int { max(1, maxRequestLength - 1) }
    /// Whether the model has a reward head (`/get_score`).
    public var hasRewardHead: Bool
    /// Seconds a client is told to wait after a 503.
    public var retryAfterSeconds: Int
    /// The chat template, if the model (or `--chat-template`) has one.
    public var chat: ChatSetup?
    /// Tokens a chat completion may generate when the request sets no limit.
    public var chatMaxNewTokens: Int
    /// Unix time the server started (OpenAI's model `created`).
    public var startedAt: Int

    public init(
        modelName: String, architecture: String = "", quantization: String = "", maxBodyBytes: Int, defaultMaxNewTokens: Int,
        maxRequestLength: Int, hasRewardHead: Bool, retryAfterSeconds: Int = 1,
        chat: ChatSetup? = nil, chatMaxNewTokens: Int = 1024, startedAt: Int = 0
    ) {
        self.modelName = modelName
        self.architecture = architecture
        self.quantization = quantization
        self.maxBodyBytes = maxBodyBytes
        self.defaultMaxNewTokens = defaultMaxNewTokens
        self.maxRequestLength = maxRequestLength
        self.hasRewardHead = hasRewardHead
        self.retryAfterSeconds = retryAfterSeconds
        self.chat = chat
        self.chatMaxNewTokens = chatMaxNewTokens
        self.startedAt = startedAt
    }
}
