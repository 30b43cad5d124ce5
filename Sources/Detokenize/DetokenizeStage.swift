import LightServeCore
import Tokenize

/// The Detokenize stage: turns each step's token batch into text pieces per request, watches
/// for stop sequences, and delivers events to each request's stream. A client that stopped
/// listening is reported to the scheduler, which frees its KV slots.
public actor DetokenizeStage {
    private struct SequenceText {
        var detokenizer: IncrementalDetokenizer
        var matcher: StopSequenceMatcher
        var count = 0
        /// A stop sequence ended it here; the scheduler has been told and more tokens are dropped.
        var stopped = false
    }

    private let vocabulary: Vocabulary
    private let scheduler: StageSender<SchedulerMessage>
    private var sequences: [SequenceID: SequenceText] = [:]
    private var inbox: StageChannel<TokenBatch>?
    private let trace: TraceRecorder

    public init(
        vocabulary: Vocabulary, inbox: consuming sending StageChannel<TokenBatch>, scheduler: StageSender<SchedulerMessage>,
        trace: TraceRecorder
    ) {
        self.vocabulary = vocabulary
        self.inbox = .some(inbox)
        self.scheduler = scheduler
        self.trace = trace
    }

    /// Serves the inbox until the calling task is cancelled.
    public func run() async {
        guard var batches = inbox.take() else { return }
        while let batch = await batches.next() {
            let start = ContinuousClock.now
            await process(batch)
            trace.record(.stage("detokenize"), "step \(batch.step)", from: start, to: .now, [("entries", "\(batch.entries.count)")])
        }
    }

    private func process(_ batch: TokenBatch) async {
        var tokensByRequest: [RequestID: (request: GenerationRequest, tokens: [GeneratedToken])] = [:]
        var order: [RequestID] = []
        var messages: [SchedulerMessage] = []
        for entry in batch.entries {
            switch entry {
            case .token(let request, let index, let id, let logprob, let alternatives, let end):
                guard
                    var token = text(of: request, sequence: index, id: id, logprob: logprob, end: end, messages: &messages)
                else { continue }
                token.token = standalone(id, logprob)
                token.alternatives = alternatives.map { standalone($0.id, $0.logprob) }
                if tokensByRequest[request.id] == nil {
                    tokensByRequest[request.id] = (request, [])
                    order.append(request.id)
                }
                tokensByRequest[request.id]!.tokens.append(token)
            case .retired(let id):
                sequences[id] = nil
            case .score(let request, let value, let promptTokens):
                request.events.yield(.score(value, promptTokens: promptTokens))
            case .promptLogprobs(let request, let first, let scored):
                let leading = first.map { [PromptToken(token: standalone($0, .nan), logprob: nil, alternatives: [])] } ?? []
                request.events.yield(.promptTokens(leading + scored.map {
                    PromptToken(
                        token: standalone($0.token.id, $0.token.logprob), logprob: $0.token.logprob,
                        alternatives: $0.alternatives.map { standalone($0.id, $0.logprob) })
                }))
            case .failed(let request, let message):
                request.events.yield(.failed(message))
                sequences = sequences.filter { $0.key.request != request.id }
            }
        }
        for id in order {
            let (request, tokens) = tokensByRequest[id]!
            if !request.events.yield(.tokens(tokens)) {
                // Nobody listens any more: stop generating for this client.
                sequences = sequences.filter { $0.key.request != id }
                if tokens.contains(where: { $0.finishReason == nil }) { messages.append(.cancel(id)) }
            }
        }
        for message in messages {
            try? await scheduler.send(message)
        }
    }

    /// A token's own text and bytes, as OpenAI's logprobs report each token.
    private func standalone(_ id: Int32, _ logprob: Float) -> TokenAlternative {
        let bytes = vocabulary.contains(id) ? Array(vocabulary.bytes(of: id)) : []
        return TokenAlternative(id: id, logprob: logprob, text: String(decoding: bytes, as: UTF8.self), bytes: bytes)
    }

    /// The client-facing token for a generated id, or nil if its sequence already stopped.
    private func text(
        of request: GenerationRequest, sequence index: Int, id: Int32, logprob: Float, end: SequenceEnd?,
        messages: inout [SchedulerMessage]
    ) -> GeneratedToken? {
        let finish = end?.finishReason
        let key = SequenceID(request: request.id, index: index)
        let options = request.options
        var state =
            sequences[key]
            ?? SequenceText(
                detokenizer: IncrementalDetokenizer(vocabulary: vocabulary, skipSpecialTokens: options.skipSpecialTokens),
                matcher: StopSequenceMatcher(stops: options.stopSequences, includeStop: options.includeStopSequence))
        if state.stopped {
            if finish != nil { sequences[key] = nil }
            return nil
        }
        state.count += 1
        var piece = end == .endToken && !options.printEOSToken ? "" : state.detokenizer.append(id)
        if finish != nil { piece += state.detokenizer.finish() }
        var (text, matched) = state.matcher.feed(piece)
        var reason = finish
        if matched {
            reason = .stop
            state.stopped = true
            if finish == nil { messages.append(.stopSequence(key)) }
        } else if finish != nil {
            text += state.matcher.flush()
        }
        sequences[key] = reason == nil || (matched && finish == nil) ? state : nil
        return GeneratedToken(
            sequence: index, id: id, text: text, logprob: logprob, special: vocabulary.isSpecial(id), index: state.count,
            finishReason: reason)
    }
}
