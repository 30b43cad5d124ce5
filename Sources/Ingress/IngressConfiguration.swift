/// What Ingress needs to know about the server and the model it fronts.
public struct IngressConfiguration: Sendable {
    /// The name `/get_model_name` and the OpenAI endpoints report.
    public var modelName: String
    /// Largest request body accepted (`--max-body-bytes`); larger ones get 413.
    public var maxBodyBytes: Int
    /// `max_new_tokens` when a request gives none (`--default-max-new-tokens`).
    public var defaultMaxNewTokens: Int
    /// Whether the model has a reward head (`/get_score`).
    public var hasRewardHead: Bool
    /// Seconds a client is told to wait after a 503.
    public var retryAfterSeconds: Int

    public init(modelName: String, maxBodyBytes: Int, defaultMaxNewTokens: Int, hasRewardHead: Bool, retryAfterSeconds: Int = 1) {
        self.modelName = modelName
        self.maxBodyBytes = maxBodyBytes
        self.defaultMaxNewTokens = defaultMaxNewTokens
        self.hasRewardHead = hasRewardHead
        self.retryAfterSeconds = retryAfterSeconds
    }
}
