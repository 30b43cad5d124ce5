import LightServeCore

/// The Tokenize stage: turns each request's prompt into token ids, checks what can only be
/// checked with ids in hand (emptiness, vocabulary range, total length), and hands the request
/// to the scheduler — or answers it directly when only a count was asked for.
public actor TokenizeStage {
    private let tokenizer: Tokenizer
    /// Prompt plus new tokens a request may total (`--max-req-total-len`).
    private let maxRequestLength: Int
    private let scheduler: StageSender<SchedulerMessage>
    private let load: PipelineLoad
    private var inbox: StageChannel<GenerationRequest>?

    public init(
        tokenizer: Tokenizer, maxRequestLength: Int, inbox: consuming sending StageChannel<GenerationRequest>,
        scheduler: StageSender<SchedulerMessage>, load: PipelineLoad
    ) {
        self.tokenizer = tokenizer
        self.maxRequestLength = maxRequestLength
        self.inbox = .some(inbox)
        self.scheduler = scheduler
        self.load = load
    }

    /// Serves the inbox until the calling task is cancelled.
    public func run() async {
        guard var jobs = inbox.take() else { return }
        while let request = await jobs.next() {
            load.removeTokenizeDemand(request.demandEstimate)
            switch prepare(request) {
            case .success(let ids) where request.kind == .countTokens:
                request.events.yield(.tokenCount(ids.count))
                load.releaseWaitingPlace()
            case .success(let ids):
                do {
                    try await scheduler.send(.admit(Admission(request: request, promptIDs: ids)))
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

    /// The prompt's ids, or why the request cannot run.
    func prepare(_ request: GenerationRequest) -> Result<[Int32], RequestError> {
        let ids: [Int32]
        switch request.input {
        case .text(let text):
            ids = tokenizer.encode(text, parseSpecial: true, addSpecial: request.options.addSpecialTokens)
        case .tokens(let given):
            if let bad = given.first(where: { !tokenizer.vocabulary.contains($0) }) {
                return .failure(.invalidParameter(
                    field: "inputs", message: "token id \(bad) is outside the vocabulary (0..<\(tokenizer.vocabulary.count))"))
            }
            ids = given
        }
        guard request.kind == .countTokens || !ids.isEmpty else {
            return .failure(.invalidParameter(field: "inputs", message: "the prompt is empty"))
        }
        let newTokens = request.kind == .generate ? request.options.maxNewTokens : 0
        if request.kind != .countTokens && ids.count + newTokens > maxRequestLength {
            return .failure(.tooLong(
                "the prompt has \(ids.count) tokens; with max_new_tokens \(newTokens) that is \(ids.count + newTokens), over the server's limit of \(maxRequestLength) (--max-req-total-len)"))
        }
        return .success(ids)
    }
}
