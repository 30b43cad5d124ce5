/// The prompt as the client gave it.
public enum PromptInput: Sendable, Equatable {
    case text(String)
    case tokens([Int32])
    /// A conversation the Tokenize stage renders with the model's chat template.
    case chat(ChatPrompt)
}

/// What the pipeline is asked to do with a prompt.
public enum RequestKind: Sendable, Equatable {
    /// Generate a continuation.
    case generate
    /// Apply the reward head to the prompt's last position (`/get_score`).
    case score
    /// Only tokenize the prompt (`/tokens`, `/tokenize`).
    case tokenize
    /// Turn token ids back into text (`/detokenize`).
    case detokenize
    /// Only render a chat prompt to text (`/apply_chat_template`).
    case renderChat
}

/// Everything about a generation besides the prompt, validated by Ingress.
public struct GenerationOptions: Sendable, Equatable {
    public var maxNewTokens: Int
    public var sampling: SamplingParameters
    /// Texts that end a sequence when they appear in its output.
    public var stopSequences: [String]
    /// Whether a matched stop sequence stays in the text (LightLLM) or is cut (OpenAI).
    public var includeStopSequence: Bool
    /// Sequences generated; the `returnCount` with the best cumulative log-probability are returned.
    public var bestOf: Int
    public var returnCount: Int
    public var skipSpecialTokens: Bool
    public var addSpecialTokens: Bool
    /// When false an end-of-sequence token contributes no text.
    public var printEOSToken: Bool
    /// Lower `maxNewTokens` to what the server's request length leaves after the prompt
    /// (OpenAI chat without `max_tokens`), instead of rejecting the request.
    public var clampToContext = false
    /// The shape the output must have (structured generation), if any.
    public var constraint: OutputConstraint?
    /// Report each prompt token's log-probability given the tokens before it, with this many of
    /// the most likely alternatives (OpenAI's `echo` with `logprobs`, LightLLM's
    /// `return_all_prompt_logprobs`); nil for none. Such a prompt is computed in full, never
    /// taken from the prefix cache.
    public var promptLogprobs: Int?

    public init(
        maxNewTokens: Int = 16, sampling: SamplingParameters = .greedy, stopSequences: [String] = [],
        includeStopSequence: Bool = true, bestOf: Int = 1, returnCount: Int = 1, skipSpecialTokens: Bool = true,
        addSpecialTokens: Bool = true, printEOSToken: Bool = false
    ) {
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopSequences = stopSequences
        self.includeStopSequence = includeStopSequence
        self.bestOf = bestOf
        self.returnCount = returnCount
        self.skipSpecialTokens = skipSpecialTokens
        self.addSpecialTokens = addSpecialTokens
        self.printEOSToken = printEOSToken
    }
}

/// One client request as it travels the pipeline: immutable, shared by reference, and carrying
/// the stream its events go back on. What every stage needs to know about it (how many
/// sequences it runs, how many tokens each may generate) is decided here, once.
public final class GenerationRequest: Sendable {
    public let id: RequestID
    public let kind: RequestKind
    public let input: PromptInput
    public let options: GenerationOptions
    public let events: RequestEventSink
    /// When the HTTP request arrived.
    public let receivedAt: ContinuousClock.Instant
    /// When it entered the pipeline (Tokenize's queue).
    public let submittedAt: ContinuousClock.Instant
    /// The client's `X-Request-Id` (or one made up), for logs.
    public let clientRequestID: String
    /// Sequences the request runs: `best_of` for a generation, one for a scored prompt.
    public let sequenceCount: Int
    /// Tokens each sequence may generate: `max_new_tokens` for a generation, none otherwise.
    public let newTokenLimit: Int

    public init(
        id: RequestID = .next(), kind: RequestKind = .generate, input: PromptInput, options: GenerationOptions,
        events: RequestEventSink, receivedAt: ContinuousClock.Instant = .now, submittedAt: ContinuousClock.Instant = .now,
        clientRequestID: String = ""
    ) {
        self.id = id
        self.kind = kind
        self.input = input
        self.options = options
        self.events = events
        self.receivedAt = receivedAt
        self.submittedAt = submittedAt
        self.clientRequestID = clientRequestID
        self.sequenceCount = kind == .generate ? options.bestOf : 1
        self.newTokenLimit = kind == .generate ? options.maxNewTokens : 0
    }

    /// The same request with other options (Tokenize settles limits that depend on the prompt).
    public func with(options: GenerationOptions) -> GenerationRequest {
        GenerationRequest(
            id: id, kind: kind, input: input, options: options, events: events, receivedAt: receivedAt,
            submittedAt: submittedAt, clientRequestID: clientRequestID)
    }

    /// The prompt's token count as estimated before tokenization, for the load figures: for
    /// text an upper bound (byte-level BPE never makes more tokens than UTF-8 bytes, plus BOS
    /// and EOS); for a chat the length of its messages and tools as JSON, which the template's
    /// markup usually stays under.
    public var promptTokenEstimate: Int {
        switch input {
        case .text(let text): text.utf8.count.addingSaturated(2)
        case .tokens(let ids): ids.count
        case .chat(let chat): chat.textLengthEstimate
        }
    }

    /// Tokens this request may occupy at its peak, estimated before tokenization.
    public var demandEstimate: Int {
        promptTokenEstimate.addingSaturated(newTokenLimit.multipliedSaturated(by: sequenceCount))
    }
}
