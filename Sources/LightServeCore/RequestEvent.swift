/// Why a sequence ended.
public enum FinishReason: String, Sendable, Equatable {
    /// An end-of-sequence token or a stop sequence.
    case stop
    /// `max_new_tokens` reached.
    case length
}

/// How the scheduler ended a sequence on a token: decided there once, read by the stages after
/// it (Detokenize gives an end-of-sequence token no text, clients see the finish reason).
public enum SequenceEnd: Sendable, Equatable {
    /// The token is one of the model's end-of-sequence tokens.
    case endToken
    /// The sequence reached its token limit.
    case length

    public var finishReason: FinishReason {
        switch self {
        case .endToken: .stop
        case .length: .length
        }
    }
}

/// A token and its log-probability.
public struct TokenLogprob: Sendable, Equatable {
    public var id: Int32
    public var logprob: Float

    public init(id: Int32, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }
}

/// A prompt token as the model scored it: its log-probability given the tokens before it (none
/// for the first) and the most likely tokens in its place.
public struct PromptToken: Sendable, Equatable {
    public var token: TokenAlternative
    /// nil for the prompt's first token, which nothing predicts.
    public var logprob: Float?
    public var alternatives: [TokenAlternative]

    public init(token: TokenAlternative, logprob: Float?, alternatives: [TokenAlternative]) {
        self.token = token
        self.logprob = logprob
        self.alternatives = alternatives
    }
}

/// A likely alternative to a chosen token, with its text on its own.
public struct TokenAlternative: Sendable, Equatable {
    public var id: Int32
    public var logprob: Float
    /// The token's bytes decoded alone (a partial UTF-8 character shows as U+FFFD).
    public var text: String
    public var bytes: [UInt8]

    public init(id: Int32, logprob: Float, text: String, bytes: [UInt8]) {
        self.id = id
        self.logprob = logprob
        self.text = text
        self.bytes = bytes
    }
}

/// One generated token as the client sees it.
public struct GeneratedToken: Sendable, Equatable {
    /// Which of the request's sequences it belongs to.
    public var sequence: Int
    public var id: Int32
    /// The text this token completes; empty while a character is still incomplete.
    public var text: String
    public var logprob: Float
    public var special: Bool
    /// Tokens generated so far in this sequence, this one included.
    public var index: Int
    /// Set on a sequence's last token.
    public var finishReason: FinishReason?
    /// The token decoded alone, with its bytes (OpenAI's `logprobs` report these).
    public var token: TokenAlternative
    /// The most likely tokens at this step, best first, when asked for.
    public var alternatives: [TokenAlternative]

    public init(
        sequence: Int, id: Int32, text: String, logprob: Float, special: Bool, index: Int, finishReason: FinishReason?,
        token: TokenAlternative? = nil, alternatives: [TokenAlternative] = []
    ) {
        self.sequence = sequence
        self.id = id
        self.text = text
        self.logprob = logprob
        self.special = special
        self.index = index
        self.finishReason = finishReason
        self.token = token ?? TokenAlternative(id: id, logprob: logprob, text: text, bytes: Array(text.utf8))
        self.alternatives = alternatives
    }
}

/// Why a request could not be served. Ingress turns each case into an HTTP status.
public enum RequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field has the wrong type or an out-of-range value.
    case invalidParameter(field: String, message: String)
    /// The prompt plus the tokens to generate exceed a configured limit, or can never fit the KV cache.
    case tooLong(String)
    /// The request asks for something this model or server cannot do.
    case unsupported(String)
    /// The chat template refused the conversation (its own `raise_exception` message) or could
    /// not render it.
    case chatTemplate(String)
    /// The waiting queue is full.
    case overloaded(retryAfterSeconds: Int)
    /// The engine failed while serving the request.
    case engineFailure(String)

    public var description: String {
        switch self {
        case .invalidParameter(let field, let message): "\(field): \(message)"
        case .tooLong(let message), .unsupported(let message), .chatTemplate(let message), .engineFailure(let message): message
        case .overloaded: "the server is at capacity; retry later"
        }
    }
}

/// What the pipeline reports back to the client's handler, in order.
public enum RequestEvent: Sendable, Equatable {
    /// The scheduler queued the request; streaming responses may now start. `opensReasoning`:
    /// the rendered prompt ends inside the model's reasoning block, so the output starts with
    /// reasoning (decided by Tokenize, which saw the prompt).
    case accepted(promptTokens: Int, opensReasoning: Bool = false)
    /// The request was refused before it started.
    case rejected(RequestError)
    /// New tokens (of one or several sequences).
    case tokens([GeneratedToken])
    /// The reward score (`/get_score`).
    case score(Float, promptTokens: Int)
    /// The prompt's token ids (`/tokens`, `/tokenize`).
    case tokenized([Int32])
    /// The text of token ids (`/detokenize`).
    case detokenized(String)
    /// A chat prompt rendered by the model's template (`/apply_chat_template`).
    case rendered(String)
    /// Prompt tokens with their log-probabilities, in order, as their prefill runs (requests
    /// with ``GenerationOptions/promptLogprobs``); they all arrive before the first generated token.
    case promptTokens([PromptToken])
    /// The request failed after it was accepted.
    case failed(String)
}

/// Where a request's events go: the handler's stream. Yielding reports whether anyone still
/// listens, which is how the pipeline learns that a client went away.
public struct RequestEventSink: Sendable {
    private let continuation: AsyncStream<RequestEvent>.Continuation

    /// A new stream of events and its sink; buffering is unbounded but a request produces at most
    /// `bestOf × maxNewTokens` token events, so the buffer is bounded by the request itself.
    public static func makeStream() -> (stream: AsyncStream<RequestEvent>, sink: RequestEventSink) {
        let (stream, continuation) = AsyncStream<RequestEvent>.makeStream(bufferingPolicy: .unbounded)
        return (stream, RequestEventSink(continuation: continuation))
    }

    /// Delivers `event`; false if the handler stopped listening (the client is gone).
    @discardableResult
    public func yield(_ event: RequestEvent) -> Bool {
        if case .terminated = continuation.yield(event) { return false }
        return true
    }

    /// Ends the stream.
    public func finish() {
        continuation.finish()
    }
}
