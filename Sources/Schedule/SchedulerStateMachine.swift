import LightServeCore

/// Every scheduling decision, as a plain value: continuous batching over a token-slot KV pool.
///
/// Events go in (a request arrives, a client leaves, a step completes, a stop sequence is seen);
/// actions come out for the owning actor to carry out. Requests wait in FIFO order and join the
/// running batch between steps when LightLLM's admission rule allows; a step runs one decode
/// row for every decoding sequence plus prompt chunks up to the step's token budget; sequences
/// leave the batch, and their slots return to the pool, the moment they finish.
public struct SchedulerStateMachine {
    public enum Action: Sendable {
        /// The request is queued: tell its client (streams may start now).
        case accept(GenerationRequest, promptTokens: Int)
        /// The request can never be served here.
        case reject(GenerationRequest, RequestError)
        /// Send this step to Execute.
        case runStep(Step)
        /// Send these tokens to Detokenize.
        case emit(TokenBatch)
        /// This many requests stopped waiting (admitted, rejected or cancelled).
        case releaseWaitingPlaces(Int)
        /// The request joined the running batch after waiting since the instant given.
        case admitted(GenerationRequest, waitingSince: ContinuousClock.Instant)
    }

    struct Waiting {
        let request: GenerationRequest
        let prompt: [Int32]
        var since: ContinuousClock.Instant = .now
    }

    struct Sequence {
        let id: SequenceID
        let request: GenerationRequest
        let prompt: [Int32]
        var slots: [Int32] = []
        /// Slots this sequence allocated and frees when it leaves (the rest belong to the
        /// prefix cache).
        var ownSlots: [Int32] = []
        /// Its deepest locked prefix-cache node.
        var cacheNode = PrefixCache.root
        var sampling: SamplingState
        var generated = 0
        /// The token sampled last, to be run in the next step.
        var pending: Int32?
        /// Ended (cancelled or stopped by a stop sequence) while a step that includes it runs.
        var ended = false
        /// Whether Detokenize must be told to forget it when it leaves.
        var notifyRetired = false

        var prefilled: Int { min(slots.count, prompt.count) }
        var isPrefilling: Bool { slots.count < prompt.count }
        var maxNewTokens: Int { request.kind == .generate ? request.options.maxNewTokens : 0 }
        /// Slots held at admission accounting: the whole prompt plus what was generated.
        var held: Int { prompt.count + generated }
        var remaining: Int { maxNewTokens - generated }
    }

    public let configuration: SchedulerConfiguration
    private var waiting: [Waiting] = []
    private var running: [Sequence] = []
    private var pool: SlotPool
    private var cache = PrefixCache()
    private var prefixTokensLookedUp = 0
    private var prefixTokensReused = 0
    private var stepCounter: UInt64 = 0
    /// The step Execute is running, and the sequence of each of its rows.
    private var inFlight: (number: UInt64, rows: [SequenceID])?

    public init(configuration: SchedulerConfiguration) {
        self.configuration = configuration
        self.pool = SlotPool(capacity: configuration.kvCapacity)
    }

    // MARK: Figures

    public var waitingCount: Int { waiting.count }
    public var runningCount: Int { running.count }
    public var isStepInFlight: Bool { inFlight != nil }
    /// Slots held by live sequences (cached prefixes nobody uses are not counted: they can be
    /// evicted whenever the pool needs room).
    public var usedSlots: Int { pool.usedCount - cache.evictableSlots }
    /// Slots the prefix cache holds.
    public var cachedSlots: Int { cache.cachedSlots }

    /// The load figures to publish.
    public var snapshot: PipelineLoad.ScheduleSnapshot {
        var s = PipelineLoad.ScheduleSnapshot()
        s.heldSlots = usedSlots
        s.predictedPeak = PeakPrediction.peak(running.map { ($0.held, $0.remaining) })
        s.waitingDemand = waiting.reduce(0) { $0 + Self.demand($1) }
        s.waitingRequests = waiting.count
        s.runningSequences = running.count
        s.prefixTokensLookedUp = prefixTokensLookedUp
        s.prefixTokensReused = prefixTokensReused
        return s
    }

    private static func demand(_ w: Waiting) -> Int {
        w.request.kind == .generate
            ? (w.prompt.count + w.request.options.maxNewTokens) * w.request.options.bestOf : w.prompt.count
    }

    // MARK: Events

    /// A tokenized request arrives.
    public mutating func admit(_ admission: Admission) -> [Action] {
        let request = admission.request
        let sequences = request.kind == .generate ? request.options.bestOf : 1
        let need = Self.demand(Waiting(request: request, prompt: admission.promptIDs))
        if need > configuration.kvCapacity {
            return [
                .reject(request, .tooLong(
                    "the prompt (\(admission.promptIDs.count) tokens) and up to \(request.kind == .generate ? request.options.maxNewTokens : 0) new tokens for \(sequences) sequence(s) need \(need) KV slots; the cache holds \(configuration.kvCapacity)")),
                .releaseWaitingPlaces(1),
            ]
        }
        if sequences > configuration.maxRunningSequences {
            return [
                .reject(request, .invalidParameter(
                    field: "best_of", message: "\(sequences) sequences exceed the server's \(configuration.maxRunningSequences) running sequences")),
                .releaseWaitingPlaces(1),
            ]
        }
        waiting.append(Waiting(request: request, prompt: admission.promptIDs, since: admission.tokenizedAt))
        return [.accept(request, promptTokens: admission.promptIDs.count)] + scheduleIfIdle()
    }

    /// The client of `id` went away.
    public mutating func cancel(_ id: RequestID) -> [Action] {
        if let index = waiting.firstIndex(where: { $0.request.id == id }) {
            waiting.remove(at: index)
            return [.releaseWaitingPlaces(1)]
        }
        end { $0.request.id == id }
        return scheduleIfIdle()
    }

    /// Detokenize matched a stop sequence in `id`'s text.
    public mutating func stopSequence(_ id: SequenceID) -> [Action] {
        end { $0.id == id }
        let retired = retireEnded()
        return (retired.isEmpty ? [] : [.emit(TokenBatch(step: stepCounter, entries: retired))]) + scheduleIfIdle()
    }

    /// Execute finished the in-flight step.
    public mutating func stepCompleted(_ result: StepResult) -> [Action] {
        guard let flight = inFlight, flight.number == result.number, flight.rows.count == result.outcomes.count else {
            return []
        }
        inFlight = nil
        var entries: [TokenBatch.Entry] = []
        for (id, outcome) in zip(flight.rows, result.outcomes) {
            guard let i = running.firstIndex(where: { $0.id == id }), !running[i].ended else { continue }
            switch outcome {
            case .none:
                break
            case .scored(let value):
                cachePrompt(of: i)
                entries.append(.score(running[i].request, value: value, promptTokens: running[i].prompt.count))
                running[i].ended = true
            case .sampled(let token, let logprob, let alternatives, let state):
                if running[i].generated == 0 { cachePrompt(of: i) }
                running[i].sampling = state
                running[i].generated += 1
                let s = running[i]
                let finish: FinishReason? =
                    !s.sampling.parameters.ignoreEOS && s.sampling.stopTokens.contains(token)
                    ? .stop : (s.generated >= s.maxNewTokens ? .length : nil)
                entries.append(.token(
                    s.request, sequence: s.id.index, id: token, logprob: logprob, alternatives: alternatives, finish: finish))
                if finish != nil {
                    running[i].ended = true
                } else {
                    running[i].pending = token
                }
            }
        }
        entries += retireEnded()
        let emitted: [Action] = entries.isEmpty ? [] : [.emit(TokenBatch(step: result.number, entries: entries))]
        return emitted + scheduleIfIdle()
    }

    /// Execute could not run the in-flight step: its requests fail, the rest carry on.
    public mutating func stepFailed(_ number: UInt64, message: String) -> [Action] {
        guard let flight = inFlight, flight.number == number else { return [] }
        inFlight = nil
        var entries: [TokenBatch.Entry] = []
        var failed = Set<RequestID>()
        for id in flight.rows where failed.insert(id.request).inserted {
            if let s = running.first(where: { $0.id == id }) {
                entries.append(.failed(s.request, message: message))
            }
        }
        end { failed.contains($0.request.id) }
        entries += retireEnded()
        return (entries.isEmpty ? [] : [.emit(TokenBatch(step: number, entries: entries))]) + scheduleIfIdle()
    }

    // MARK: Internals

    /// Marks matching sequences ended; their slots return once no running step uses them.
    private mutating func end(_ matches: (Sequence) -> Bool) {
        for i in running.indices where matches(running[i]) && !running[i].ended {
            running[i].ended = true
            running[i].notifyRetired = true
        }
    }

    /// Removes ended sequences (outside a step), returning their slots to the pool.
    private mutating func retireEnded() -> [TokenBatch.Entry] {
        guard inFlight == nil else { return [] }
        var entries: [TokenBatch.Entry] = []
        running.removeAll { s in
            guard s.ended else { return false }
            pool.release(s.ownSlots)
            cache.release(s.cacheNode)
            if s.notifyRetired { entries.append(.retired(s.id)) }
            return true
        }
        return entries
    }

    /// Admits what fits and builds the next step, unless one is running.
    private mutating func scheduleIfIdle() -> [Action] {
        guard inFlight == nil else { return [] }
        let retired = retireEnded()
        var actions: [Action] = retired.isEmpty ? [] : [.emit(TokenBatch(step: stepCounter, entries: retired))]

        // Every decoding stream advances every step; prompt chunks share what is left of the
        // step's token budget, chunks of requests already running before new admissions.
        let decoding = running.indices.filter { !running[$0].isPrefilling }
        var budget = configuration.batchMaxTokens - decoding.count
        let backlog = running.reduce(0) { $0 + ($1.prompt.count - $1.prefilled) }
        let admitted = admitWaiting(budget: budget - backlog)
        if !admitted.isEmpty { actions.append(.releaseWaitingPlaces(admitted.count)) }
        actions += admitted.map { .admitted($0.request, waitingSince: $0.since) }

        var rows: [Step.Row] = []
        for i in decoding {
            guard let token = running[i].pending, let slot = allocate(1) else { continue }
            let position = running[i].slots.count
            running[i].slots += slot
            running[i].ownSlots += slot
            running[i].pending = nil
            rows.append(Step.Row(
                sequence: running[i].id, tokens: [token], position: position, slots: running[i].slots,
                output: .sample(running[i].sampling)))
        }
        for i in running.indices where running[i].isPrefilling && budget > 0 {
            let start = running[i].prefilled
            let count = min(running[i].prompt.count - start, budget)
            guard let slots = allocate(count) else { break }
            running[i].slots += slots
            running[i].ownSlots += slots
            budget -= count
            let output: Step.Output =
                start + count < running[i].prompt.count
                ? .none : (running[i].request.kind == .score ? .score : .sample(running[i].sampling))
            rows.append(Step.Row(
                sequence: running[i].id, tokens: Array(running[i].prompt[start..<(start + count)]), position: start,
                slots: running[i].slots, output: output))
        }
        guard !rows.isEmpty else { return actions }
        stepCounter += 1
        inFlight = (stepCounter, rows.map(\.sequence))
        actions.append(.runStep(Step(number: stepCounter, rows: rows)))
        return actions
    }

    /// `count` free slots, evicting unused cached prefixes if the pool runs short.
    private mutating func allocate(_ count: Int) -> [Int32]? {
        if pool.freeCount < count { pool.release(cache.evict(count - pool.freeCount)) }
        return pool.allocate(count)
    }

    /// Hands sequence `i`'s prompt slots to the prefix cache once their KV is computed.
    private mutating func cachePrompt(of i: Int) {
        guard configuration.prefixCaching else { return }
        let prompt = running[i].prompt
        let (node, alreadyCached) = cache.insert(prompt, slots: Array(running[i].slots[..<prompt.count]), replacing: running[i].cacheNode)
        running[i].cacheNode = node
        let handedOver = Set(running[i].slots[alreadyCached..<prompt.count])
        running[i].ownSlots.removeAll { handedOver.contains($0) }
    }

    /// Moves waiting requests into the running batch in arrival order while LightLLM's rule
    /// holds: the batch stays within `maxRunningSequences`, its predicted peak KV use within the
    /// pool, and the step has prompt budget left. Returns the admitted requests.
    private mutating func admitWaiting(budget: Int) -> [Waiting] {
        var admitted: [Waiting] = []
        var budget = budget
        var load = running.map { (held: $0.held, remaining: $0.remaining) }
        while let next = waiting.first, budget > 0 {
            let request = next.request
            let count = request.kind == .generate ? request.options.bestOf : 1
            guard running.count + count <= configuration.maxRunningSequences else { break }
            let remaining = request.kind == .generate ? request.options.maxNewTokens : 0
            let candidate = load + Array(repeating: (held: next.prompt.count, remaining: remaining), count: count)
            guard PeakPrediction.peak(candidate) <= configuration.kvCapacity else { break }
            waiting.removeFirst()
            load = candidate
            for index in 0..<count {
                let stopTokens = request.kind == .generate ? configuration.stopTokens : []
                var sequence = Sequence(
                    id: SequenceID(request: request.id, index: index), request: request, prompt: next.prompt,
                    sampling: SamplingState(
                        parameters: request.options.sampling, stopTokens: stopTokens, seedOffset: UInt64(index)))
                if configuration.prefixCaching {
                    // At least the last prompt token runs, for its logits.
                    let (slots, node) = cache.acquire(next.prompt, limit: next.prompt.count - 1)
                    sequence.slots = slots
                    sequence.cacheNode = node
                    prefixTokensLookedUp += next.prompt.count
                    prefixTokensReused += slots.count
                }
                running.append(sequence)
            }
            budget -= next.prompt.count * count
            admitted.append(next)
        }
        return admitted
    }
}
