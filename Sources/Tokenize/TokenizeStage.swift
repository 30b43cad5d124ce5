import LightServeCore

/// The Tokenize stage: renders chat prompts with the model's template, turns each request's
/// prompt into token ids, checks what can only be checked with ids in hand (emptiness,
/// vocabulary range, total length), and hands the request to the scheduler — or answers it
/// directly when only tokens, text or a rendered prompt were asked for.
public actor TokenizeStage {
    private let tokenizer: Tokenizer
    /// The chat template, if the model (or `--chat-template`) has one.
    private let chat: ChatRenderer?
    /// Prompt plus new tokens a request may total (`--max-req-total-len`).
    private let maxRequestLength: Int
    private let scheduler: StageSender<SchedulerMessage>
    private let load: PipelineLoad
    private let trace: TraceRecorder
    private var inbox: StageChannel<GenerationRequest>?

    public init(
        tokenizer: Tokenizer, chat: ChatRenderer?, maxRequestLength: Int, inbox: consuming sending StageChannel<GenerationRequest>,
        scheduler: StageSender<SchedulerMessage>, load: PipelineLoad, trace: TraceRecorder
    ) {
        self.tokenizer = tokenizer
        self.chat = chat
        self.maxRequestLength = maxRequestLength
        self.inbox = .some(inbox)
        self.scheduler = scheduler
        self.load = load
        self.trace = trace
    }

    /// Serves the inbox until the calling task is cancelled.
    public func run() async {
        guard var jobs = inbox.take() else { return }
        while let request = await jobs.next() {
            let start = ContinuousClock.now
            trace.record(.request(request.id), "queued (tokenize)", from: request.submittedAt, to: start)
            defer {
                trace.record(.request(request.id), "tokenize", from: start)
                trace.record(.stage("tokenize"), "tokenize", from: start, to: .now, [("request", "\(request.id)")])
            }
            load.leaveTokenizeQueue(request)
            switch request.kind {
            case .detokenize:
                request.events.yield(detokenize(request))
                load.releaseWaitingPlace()
            case .tokenize:
                request.events.yield(tokenizeOnly(request))
                load.releaseWaitingPlace()
            case .renderChat:
                request.events.yield(renderOnly(request))
                load.releaseWaitingPlace()
            case .generate, .score:
                switch prepare(request) {
                case .success(let admission):
                    do {
                        try await scheduler.send(.admit(admission))
                    } catch {
                        request.events.yield(.rejected(.engineFailure("the scheduler is not running")))
                        load.releaseWaitingPlace()
                    }
                case .failure(let error):
                    request.events.yield(.rejected(error))
                    load.releaseWaitingPlace()
                }
            }
        }
    }

    /// The prompt's ids and the request with its limits settled, or why it cannot run.
    func prepare(_ request: GenerationRequest) -> Result<Admission, RequestError> {
        let ids: [Int32]
        switch promptIDs(request) {
        case .success(let found): ids = found
        case .failure(let error): return .failure(error)
        }
        guard !ids.isEmpty else { return .failure(.invalidParameter(field: "inputs", message: "the prompt is empty")) }
        var request = request
        if request.options.clampToContext {
            var options = request.options
            options.maxNewTokens = min(options.maxNewTokens, maxRequestLength.addingSaturated(-ids.count))
            options.sampling.minNewTokens = min(options.sampling.minNewTokens, max(options.maxNewTokens, 1))
            if options.maxNewTokens >= 1 { request = request.with(options: options) }
        }
        let newTokens = request.newTokenLimit
        let total = ids.count.addingSaturated(newTokens)
        if total > maxRequestLength {
            return .failure(.tooLong(
                "the prompt has \(ids.count) tokens; with max_new_tokens \(newTokens) that is \(total), over the server's limit of \(maxRequestLength) (--max-req-total-len)"))
        }
        return .success(Admission(request: request, promptIDs: ids))
    }

    private func promptIDs(_ request: GenerationRequest) -> Result<[Int32], RequestError> {
        switch request.input {
        case .text(let text):
            return .success(tokenizer.encode(text, parseSpecial: true, addSpecial: request.options.addSpecialTokens))
        case .chat(let prompt):
            return render(prompt).map { tokenizer.encode($0, parseSpecial: true, addSpecial: request.options.addSpecialTokens) }
        case .tokens(let given):
            if let bad = given.first(where: { !tokenizer.vocabulary.contains($0) }) {
                return .failure(.invalidParameter(
                    field: "inputs", message: "token id \(bad) is outside the vocabulary (0..<\(tokenizer.vocabulary.count))"))
            }
            return .success(given)
        }
    }

    private func render(_ prompt: ChatPrompt) -> Result<String, RequestError> {
        guard let chat else {
            return .failure(.unsupported("this model has no chat template; start the server with --chat-template FILE"))
        }
        return chat.render(prompt)
    }

    private func renderOnly(_ request: GenerationRequest) -> RequestEvent {
        guard case .chat(let prompt) = request.input else {
            return .rejected(.invalidParameter(field: "messages", message: "is required"))
        }
        switch render(prompt) {
        case .success(let text): return .rendered(text)
        case .failure(let error): return .rejected(error)
        }
    }

    private func tokenizeOnly(_ request: GenerationRequest) -> RequestEvent {
        switch promptIDs(request) {
        case .success(let ids): .tokenized(ids)
        case .failure(let error): .rejected(error)
        }
    }

    /// The text of a `/detokenize` request's ids.
    private func detokenize(_ request: GenerationRequest) -> RequestEvent {
        guard case .tokens(let ids) = request.input else {
            return .rejected(.invalidParameter(field: "ids", message: "must be a list of token ids"))
        }
        do {
            return .detokenized(try tokenizer.decode(ids, skipSpecial: request.options.skipSpecialTokens))
        } catch {
            return .rejected(.invalidParameter(field: "ids", message: error.description))
        }
    }
}
