import Grammar
import LightServeCore

/// The Tokenize stage: renders chat prompts with the model's template, turns each request's
/// prompt into token ids, checks what can only be checked with ids in hand (emptiness,
/// vocabulary range, total length), and hands the request to the scheduler — or answers it
/// directly when only tokens, text or a rendered prompt were asked for.
public actor TokenizeStage {
    private let tokenizer: Tokenizer
    /// The chat template, if the model (or `--chat-template`) has one.
    private let chat: ChatRenderer?
    /// Compiles output constraints against the vocabulary (structured generation).
    private let constraints: ConstraintCompiler
    /// Prompt plus new tokens a request may total (`--max-req-total-len`).
    private let maxRequestLength: Int
    private let scheduler: StageSender<SchedulerMessage>
    private let load: PipelineLoad
    private let trace: TraceRecorder
    private var inbox: StageChannel<GenerationRequest>?

    public init(
        tokenizer: Tokenizer, chat: ChatRenderer?, constraints: ConstraintCompiler, maxRequestLength: Int,
        inbox: consuming sending StageChannel<GenerationRequest>, scheduler: StageSender<SchedulerMessage>, load: PipelineLoad,
        trace: TraceRecorder
    ) {
        self.tokenizer = tokenizer
        self.chat = chat
        self.constraints = constraints
        self.maxRequestLength = maxRequestLength
        self.inbox = .some(inbox)
        self.scheduler = scheduler
        self.load = load
        self.trace = trace
    }

    /// Serves the inbox until the calling task is cancelled. A request with an output
    /// constraint waits for its compilation in a task of its own, so the requests behind it are
    /// not held up.
    public func run() async {
        guard var jobs = inbox.take() else { return }
        await withDiscardingTaskGroup { group in
            while let request = await jobs.next() {
                guard let admission = serve(request) else { continue }
                if let constraint = admission.request.options.constraint {
                    group.addTask { await self.admit(admission, compiling: constraint) }
                } else {
                    await admit(admission)
                }
            }
        }
    }

    /// Answers a request that needs no scheduling, or returns the admission of one that does.
    private func serve(_ request: GenerationRequest) -> Admission? {
        let start = ContinuousClock.now
        trace.record(.request(request.id), "queued (tokenize)", from: request.submittedAt, to: start)
        defer {
            trace.record(.request(request.id), "tokenize", from: start)
            trace.record(.stage("tokenize"), "tokenize", from: start, to: .now, [("request", "\(request.id)")])
        }
        load.leaveTokenizeQueue(request)
        let answer: RequestEvent
        switch request.kind {
        case .detokenize:
            answer = detokenize(request)
        case .tokenize:
            answer = tokenizeOnly(request)
        case .renderChat:
            answer = renderOnly(request)
        case .generate, .score:
            switch prepare(request) {
            case .success(let admission): return admission
            case .failure(let error): answer = .rejected(error)
            }
        }
        request.events.yield(answer)
        load.releaseWaitingPlace()
        return nil
    }

    /// Hands a request to the scheduler.
    private func admit(_ admission: Admission) async {
        do {
            try await scheduler.send(.admit(admission))
        } catch {
            refuse(admission.request, .engineFailure("the scheduler is not running"))
        }
    }

    /// Compiles the request's constraint off the actor (the cache makes a repeated one a lookup),
    /// then hands the request to the scheduler; a constraint that does not compile is the
    /// client's error, naming its field and where it failed.
    private func admit(_ admission: Admission, compiling constraint: OutputConstraint) async {
        let request = admission.request
        if case .allowedTokens(let ids) = constraint.rule, let bad = ids.first(where: { !tokenizer.vocabulary.contains($0) }) {
            return refuse(request, .invalidParameter(
                field: constraint.field, message: "token id \(bad) is outside the vocabulary (0..<\(tokenizer.vocabulary.count))"))
        }
        let start = ContinuousClock.now
        let compiler = constraints
        let program: CompiledConstraint
        do {
            program = try await OffPoolWork.run { () throws(GrammarError) -> CompiledConstraint in try compiler.compile(constraint) }
        } catch {
            return refuse(request, .invalidParameter(field: constraint.field, message: error.description))
        }
        trace.record(.request(request.id), "compile constraint", from: start)
        await admit(Admission(
            request: request, promptIDs: admission.promptIDs, constraint: program, tokenizedAt: admission.tokenizedAt,
            opensReasoning: admission.opensReasoning))
    }

    private func refuse(_ request: GenerationRequest, _ error: RequestError) {
        request.events.yield(.rejected(error))
        load.releaseWaitingPlace()
    }

    /// The prompt's ids and the request with its limits settled, or why it cannot run.
    func prepare(_ request: GenerationRequest) -> Result<Admission, RequestError> {
        var request = request
        let ids: [Int32]
        let opensReasoning: Bool
        switch promptIDs(request) {
        case .success(let found):
            (ids, opensReasoning) = found
            if opensReasoning { request = constrainingTheAnswer(request) }
        case .failure(let error): return .failure(error)
        }
        guard !ids.isEmpty else { return .failure(.invalidParameter(field: "inputs", message: "the prompt is empty")) }
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
        return .success(Admission(request: request, promptIDs: ids, opensReasoning: opensReasoning))
    }

    /// The prompt's ids, and whether its rendering left the model inside its reasoning block.
    private func promptIDs(_ request: GenerationRequest) -> Result<(ids: [Int32], opensReasoning: Bool), RequestError> {
        let addSpecial = request.options.addSpecialTokens
        switch request.input {
        case .text(let text):
            return .success((tokenizer.encode(text, parseSpecial: true, addSpecial: addSpecial), false))
        case .chat(let prompt):
            return render(prompt).map { text in
                (tokenizer.encode(text, parseSpecial: true, addSpecial: addSpecial), chat?.reasoning?.promptOpens(text) ?? false)
            }
        case .tokens(let given):
            if let bad = given.first(where: { !tokenizer.vocabulary.contains($0) }) {
                return .failure(.invalidParameter(
                    field: "inputs", message: "token id \(bad) is outside the vocabulary (0..<\(tokenizer.vocabulary.count))"))
            }
            return .success((given, false))
        }
    }

    /// For an output that starts with reasoning: moves a constraint that would hold from the
    /// first token to the answer after the reasoning block, so the thinking stays free.
    private func constrainingTheAnswer(_ request: GenerationRequest) -> GenerationRequest {
        guard let tags = chat?.reasoning, var constraint = request.options.constraint, constraint.activation == .immediately else {
            return request
        }
        constraint.activation = .after(tags.close)
        var options = request.options
        options.constraint = constraint
        return request.with(options: options)
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
        case .success(let prompt): .tokenized(prompt.ids)
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
