import LightServeCore

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
    /// Whether the model (or `--chat-template`) has a chat template; the Tokenize stage renders it.
    public var hasChatTemplate: Bool
    /// How the chat template has the model write tool calls, if it renders tools in a syntax
    /// LightServe reads (``ToolCallFormat/init(chatTemplate:)``).
    public var toolCallFormat: ToolCallFormat?
    /// The tags the model reasons in, when its chat template writes them: chat answers then
    /// return the reasoning as `reasoning_content`, apart from `content`.
    public var reasoning: ReasoningTags?
    /// Tokens a chat completion may generate when the request sets no limit.
    public var chatMaxNewTokens: Int
    /// Unix time the server started (OpenAI's model `created`).
    public var startedAt: Int

    public init(
        modelName: String, architecture: String = "", quantization: String = "", maxBodyBytes: Int, defaultMaxNewTokens: Int,
        maxRequestLength: Int, hasRewardHead: Bool, retryAfterSeconds: Int = 1,
        hasChatTemplate: Bool = false, toolCallFormat: ToolCallFormat? = nil, reasoning: ReasoningTags? = nil,
        chatMaxNewTokens: Int = 1024, startedAt: Int = 0
    ) {
        self.modelName = modelName
        self.architecture = architecture
        self.quantization = quantization
        self.maxBodyBytes = maxBodyBytes
        self.defaultMaxNewTokens = defaultMaxNewTokens
        self.maxRequestLength = maxRequestLength
        self.hasRewardHead = hasRewardHead
        self.retryAfterSeconds = retryAfterSeconds
        self.hasChatTemplate = hasChatTemplate
        self.toolCallFormat = toolCallFormat
        self.reasoning = reasoning
        self.chatMaxNewTokens = chatMaxNewTokens
        self.startedAt = startedAt
    }
}
