import LightServeCore

/// Every scheduling decision, as a plain value: continuous batching over a token-slot KV pool.
///
/// Events go in (a request arrives, a client leaves, a step completes, a stop sequence is seen);
/// actions come out for the owning actor to carry out. Requests wait in FIFO order and join the
/// running batch between steps when LightLLM's admission rule allows; a step runs one decode
/// row for every decoding sequence plus prompt chunks up to the step's token budget, another
/// prompt joining only while the step is smaller than its prefill target; sequences leave the
/// batch, and their slots return to the pool, the moment they finish.
///
/// When the pool runs short anyway (admission predicts output lengths, capped as LightLLM's
/// `router_max_new_token_len` does), the most recently admitted request is preempted: its slots
/// are freed and it goes back to the head of the line, to be recomputed from its prompt and the
/// tokens it generated so far when it is admitted again (vLLM's recompute preemption). Nothing
/// waits on a slot that cannot come, and no internal failure leaves a request without an end.
///
/// With speculative decoding a decode row carries drafted tokens after its pending one, with a
/// slot for each: prompt lookup's proposal, or room for the draft model's. The tokens the model
/// accepted, and the one after them, come back together; each is appended and checked against
/// end-of-sequence and `max_new_tokens` in order (a sequence that ends mid-draft drops the rest),
/// and the rejected positions' slots return to the pool at once. Drafts take only the token
/// budget and free slots the step's prompt chunks leave (never a cached prefix), and how many a
/// sequence drafts follows its acceptance record and the batch (``DraftLengthPolicy``).
public struct SchedulerStateMachine {
    public enum Action: Sendable {
        /// The request is queued: tell its client (streams may start now), and whether its output
        /// starts inside the model's reasoning block.
        case accept(GenerationRequest, promptTokens: Int, opensReasoning: Bool)
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
        /// The request lost its KV slots to make room and waits to be recomputed.
        case preempted(GenerationRequest)
        /// A sequence that drafted left the batch: its drafted tokens and how many were accepted.
        case speculationEnded(SequenceID, drafted: Int, accepted: Int)
    }

    /// A preempted sequence: what it generated and its sampler, to carry on where it stopped.
    struct Suspended {
        let index: Int
        let output: [Int32]
        let sampling: SamplingState
        /// Prompt positions whose log-probabilities were already reported.
        var promptScored = 0
        var speculation = SequenceSpeculation()
    }

    struct Waiting {
        let request: GenerationRequest
        let prompt: [Int32]
        var constraint: (any TokenConstraintProgram)?
        var since: ContinuousClock.Instant = .now
        /// The sequences of a preempted request; nil for a request that has not run yet.
        var suspended: [Suspended]?

        /// A new request holds one of Ingress's waiting places; a preempted one does not.
        var holdsWaitingPlace: Bool { suspended == nil }
    }

    struct Sequence {
        let id: SequenceID
        let request: GenerationRequest
        let prompt: [Int32]
        /// The tokens whose KV this admission computes: the prompt, plus the tokens generated
        /// before a preemption.
        let context: [Int32]
        var slots: [Int32] = []
        /// Slots this sequence allocated and frees when it leaves (the rest belong to the
        /// prefix cache).
        var ownSlots: [Int32] = []
        /// Its deepest locked prefix-cache node.
        var cacheNode = PrefixCache.root
        var sampling: SamplingState
        /// The tokens generated so far, preemptions included.
        var output: [Int32]
        /// The prompt and the output, for prompt lookup and the draft model.
        var history: [Int32]
        /// The token sampled last, to be run in the next step.
        var pending: Int32?
        var speculation = SequenceSpeculation()
        /// The draft of the running step's row, and the slots it holds past the pending token's.
        var inFlightDraft: (draft: Draft, slots: Int)?
        /// Slots the sequence's drafts are expected to take in a step: its last draft's.
        var draftReserve = 0
        /// Ended (cancelled or stopped by a stop sequence) while a step that includes it runs.
        var ended = false
        /// Whether Detokenize must be told to forget it when it leaves.
        var notifyRetired = false
        /// Prompt positions whose log-probabilities were reported (requests that ask for them;
        /// the first sequence of a request reports for all).
        var promptScored = 0

        var generated: Int { output.count }
        var prefilled: Int { min(slots.count, context.count) }
        var isPrefilling: Bool { slots.count < context.count }
        var maxNewTokens: Int { request.newTokenLimit }
        /// Slots held at admission accounting: the whole prompt plus what was generated, and room
        /// for a draft like its last.
        var held: Int { prompt.count.addingSaturated(generated).addingSaturated(draftReserve) }
    }

    public let configuration: SchedulerConfiguration
    private var waiting: [Waiting] = []
    private var running: [Sequence] = []
    private var pool: SlotPool
    private var cache = PrefixCache()
    private var prefixTokensLookedUp = 0
    private var prefixTokensReused = 0
    private var preemptions = 0
    private var draftedTokens = 0
    private var acceptedTokens = 0
    /// Sequences that drafted and left the batch since the last actions were returned.
    private var speculationEnded: [Action] = []
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
    /// Requests preempted since start.
    public var preemptionCount: Int { preemptions }

    /// The load figures to publish.
    public var snapshot: PipelineLoad.ScheduleSnapshot {
        var s = PipelineLoad.ScheduleSnapshot()
        s.heldSlots = usedSlots
        s.predictedPeak = PeakPrediction.peak(running.map { ($0.held, $0.maxNewTokens - $0.generated) })
        s.waitingDemand = waiting.reduce(0) { $0.addingSaturated(Self.demand($1)) }
        s.waitingPromptTokens = waiting.reduce(0) { $0.addingSaturated($1.prompt.count) }
        s.waitingRequests = waiting.count
        s.runningSequences = running.count
        s.prefixTokensLookedUp = prefixTokensLookedUp
        s.prefixTokensReused = prefixTokensReused
        s.preemptions = preemptions
        s.draftedTokens = draftedTokens
        s.acceptedTokens = acceptedTokens
        return s
    }

    /// The most slots a request can hold: its prompt and every token it may generate, for
    /// each of its sequences.
    private static func demand(_ w: Waiting) -> Int {
        w.prompt.count.addingSaturated(w.request.newTokenLimit).multipliedSaturated(by: w.request.sequenceCount)
    }

    /// Tokens a sequence is expected to generate from now on, for admission: its limit, or
    /// when `routerMaxNewTokenLength` is set, LightLLM's estimate capped by it (which grows with
    /// what the sequence already generated).
    private func expectedRemaining(maxNewTokens: Int, generated: Int) -> Int {
        var expected = maxNewTokens
        if let cap = configuration.routerMaxNewTokenLength {
            expected = min(maxNewTokens, max(cap, generated.addingSaturated(generated / 10)))
        }
        return max(0, expected - generated)
    }

    // MARK: Events

    /// A tokenized request arrives.
    public mutating func admit(_ admission: Admission) -> [Action] {
        let request = admission.request
        let sequences = request.sequenceCount
        let need = Self.demand(Waiting(request: request, prompt: admission.promptIDs))
        if need > configuration.kvCapacity {
            return [
                .reject(request, .tooLong(
                    "the prompt (\(admission.promptIDs.count) tokens) and up to \(request.newTokenLimit) new tokens for \(sequences) sequence(s) need \(need) KV slots; the cache holds \(configuration.kvCapacity)")),
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
        waiting.append(Waiting(
            request: request, prompt: admission.promptIDs, constraint: admission.constraint, since: admission.tokenizedAt))
        return [.accept(request, promptTokens: admission.promptIDs.count, opensReasoning: admission.opensReasoning)]
            + scheduleIfIdle()
    }

    /// The client of `id` went away.
    public mutating func cancel(_ id: RequestID) -> [Action] {
        if let index = waiting.firstIndex(where: { $0.request.id == id }) {
            let removed = waiting.remove(at: index)
            var actions: [Action] = removed.holdsWaitingPlace ? [.releaseWaitingPlaces(1)] : []
            let retired = (removed.suspended ?? []).map { TokenBatch.Entry.retired(SequenceID(request: id, index: $0.index)) }
            if !retired.isEmpty { actions.append(.emit(TokenBatch(step: stepCounter, entries: retired))) }
            return actions + scheduleIfIdle()
        }
        end { $0.request.id == id }
        return scheduleIfIdle()
    }

    /// Detokenize matched a stop sequence in `id`'s text.
    public mutating func stopSequence(_ id: SequenceID) -> [Action] {
        var entries: [TokenBatch.Entry] = []
        if let w = waiting.firstIndex(where: { $0.request.id == id.request }), let suspended = waiting[w].suspended {
            // Stopped while preempted: it will not be recomputed.
            let left = suspended.filter { $0.index != id.index }
            if left.count < suspended.count { entries.append(.retired(id)) }
            if left.isEmpty { waiting.remove(at: w) } else { waiting[w].suspended = left }
        }
        end { $0.id == id }
        entries += retireEnded()
        return (entries.isEmpty ? [] : [.emit(TokenBatch(step: stepCounter, entries: entries))]) + scheduleIfIdle()
    }

    /// Execute finished the in-flight step.
    public mutating func stepCompleted(_ result: StepResult) -> [Action] {
        guard let flight = inFlight, flight.number == result.number else { return [] }
        guard flight.rows.count == result.outcomes.count else {
            return stepFailed(
                result.number,
                message: "internal error: step \(result.number) returned \(result.outcomes.count) rows for \(flight.rows.count)")
        }
        inFlight = nil
        var entries: [TokenBatch.Entry] = []
        for (row, (id, outcome)) in zip(flight.rows, result.outcomes).enumerated() {
            guard let i = running.firstIndex(where: { $0.id == id }), !running[i].ended else { continue }
            if let scored = result.promptLogprobs[row] {
                entries.append(.promptLogprobs(
                    running[i].request, first: running[i].promptScored == 0 ? running[i].prompt.first : nil, scored))
                running[i].promptScored += max(scored.count, 1)
            }
            switch outcome {
            case .none:
                break
            case .scored(let value):
                cachePrompt(of: i)
                entries.append(.score(running[i].request, value: value, promptTokens: running[i].prompt.count))
                running[i].ended = true
            case .sampled(let token, let logprob, let alternatives, let state):
                if running[i].generated == 0 { cachePrompt(of: i) }
                settleDraft(of: i, accepted: 0, drafted: 0)
                running[i].sampling = state
                entries += append([SampledToken(token: token, logprob: logprob, alternatives: alternatives)], to: i)
            case .speculated(let tokens, let accepted, let drafted, let state):
                settleDraft(of: i, accepted: accepted, drafted: drafted)
                running[i].sampling = state
                entries += append(tokens, to: i)
            }
        }
        entries += retireEnded()
        let emitted: [Action] = entries.isEmpty ? [] : [.emit(TokenBatch(step: result.number, entries: entries))]
        return emitted + scheduleIfIdle()
    }

    /// Execute could not run the in-flight step (or it never reached Execute): its requests
    /// fail with `message` and free their slots; the rest carry on.
    public mutating func stepFailed(_ number: UInt64, message: String) -> [Action] {
        guard let flight = inFlight, flight.number == number else { return [] }
        inFlight = nil
        var entries: [TokenBatch.Entry] = []
        var failed = Set<RequestID>()
        for id in flight.rows where failed.insert(id.request).inserted {
            if let s = running.first(where: { $0.id == id }), !s.ended {
                entries.append(.failed(s.request, message: message))
            }
        }
        end { failed.contains($0.request.id) }
        entries += retireEnded()
        return (entries.isEmpty ? [] : [.emit(TokenBatch(step: number, entries: entries))]) + scheduleIfIdle()
    }

    // MARK: Internals

    /// Appends the tokens a row produced to sequence `i`'s output in order, ending it at the
    /// first that is an end-of-sequence token or reaches `max_new_tokens` (those after it are
    /// dropped); the last becomes the pending token otherwise. The entries for Detokenize.
    private mutating func append(_ tokens: [SampledToken], to i: Int) -> [TokenBatch.Entry] {
        var entries: [TokenBatch.Entry] = []
        for sampled in tokens {
            running[i].output.append(sampled.token)
            running[i].history.append(sampled.token)
            let s = running[i]
            // A constraint that took an end-of-sequence token ends the sequence even when the
            // request ignores them; verification stops at such a token, so it is the last.
            let endToken = s.sampling.stopTokens.contains(sampled.token)
                && (!s.sampling.parameters.ignoreEOS || s.sampling.constraint?.isTerminated == true)
            let end: SequenceEnd? = endToken ? .endToken : (s.generated >= s.maxNewTokens ? .length : nil)
            entries.append(.token(
                s.request, sequence: s.id.index, id: sampled.token, logprob: sampled.logprob,
                alternatives: sampled.alternatives, end: end))
            if end != nil {
                running[i].ended = true
                return entries
            }
        }
        running[i].pending = tokens.last?.token
        return entries
    }

    /// Sequence `i`'s row came back with `accepted` of its `drafted` tokens accepted: the slots of
    /// the positions after them go back to the pool now, and the acceptance record learns.
    private mutating func settleDraft(of i: Int, accepted: Int, drafted: Int) {
        guard let (draft, slots) = running[i].inFlightDraft else { return }
        running[i].inFlightDraft = nil
        let position = running[i].slots.count - 1 - slots
        let rejected = slots - accepted
        pool.release(running[i].slots.suffix(rejected))
        running[i].slots.removeLast(rejected)
        running[i].ownSlots.removeLast(rejected)
        running[i].speculation.record(draft, position: position, drafted: drafted, accepted: accepted)
        draftedTokens += drafted
        acceptedTokens += accepted
    }

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
            let record = s.speculation.acceptance
            if record.draftedTotal > 0 {
                speculationEnded.append(.speculationEnded(s.id, drafted: record.draftedTotal, accepted: record.acceptedTotal))
            }
            return true
        }
        return entries
    }

    /// Admits what fits and builds the next step, unless one is running.
    private mutating func scheduleIfIdle() -> [Action] {
        guard inFlight == nil else { return [] }
        let retired = retireEnded()
        var actions: [Action] = retired.isEmpty ? [] : [.emit(TokenBatch(step: stepCounter, entries: retired))]
        actions += speculationEnded
        speculationEnded.removeAll()

        // Every decoding stream advances every step; prompt chunks share what is left of the
        // step's token budget, chunks of requests already running before new admissions.
        let budget = configuration.batchMaxTokens - running.filter { !$0.isPrefilling }.count
        let backlog = running.reduce(0) { $0 + ($1.context.count - $1.prefilled) }
        let admitted = admitWaiting(budget: budget - backlog)
        let places = admitted.filter(\.holdsWaitingPlace).count
        if places > 0 { actions.append(.releaseWaitingPlaces(places)) }
        actions += admitted.map { .admitted($0.request, waitingSince: $0.since) }

        // One slot per decoding stream, preempting the newest requests if the pool is short;
        // and never a step-less stall while prompts wait for slots that cannot come.
        while running.filter({ !$0.isPrefilling && $0.pending != nil }).count > pool.freeCount + cache.evictableSlots,
            let preempted = preemptNewest()
        {
            actions.append(preempted)
        }
        var rows = buildRows()
        while rows.isEmpty, running.contains(where: { !$0.ended }), let preempted = preemptNewest() {
            actions.append(preempted)
            rows = buildRows()
        }
        guard !rows.isEmpty else { return actions }
        stepCounter += 1
        inFlight = (stepCounter, rows.map(\.sequence))
        actions.append(.runStep(Step(number: stepCounter, rows: rows)))
        return actions
    }

    /// The next step's rows, with their slots allocated: a decode row for every stream that
    /// has a token pending, then prompt chunks within what is left of the token budget, in
    /// arrival order while the step holds fewer than `prefillStepRows` rows.
    private mutating func buildRows() -> [Step.Row] {
        var rows: [Step.Row] = []
        let decoding = running.indices.filter { !running[$0].isPrefilling && running[$0].pending != nil }
        // Drafts take what the step's prompt chunks leave of its token budget and the free slots.
        let backlog = running.reduce(0) { $0 + ($1.context.count - $1.prefilled) }
        var draftBudget = min(configuration.batchMaxTokens, pool.freeCount) - decoding.count - backlog
        for i in decoding {
            guard let token = running[i].pending, let slot = allocate(1) else { continue }
            let position = running[i].slots.count
            running[i].slots += slot
            running[i].ownSlots += slot
            running[i].pending = nil
            var row = Step.Row(
                sequence: running[i].id, tokens: [token], position: position, slots: [], output: .sample(running[i].sampling))
            addDraft(to: &row, of: i, decodingRows: decoding.count, budget: &draftBudget)
            row.slots = running[i].slots
            rows.append(row)
        }
        var budget = configuration.batchMaxTokens - rows.reduce(0) { $0 + $1.runLength }
        var prompts = 0
        for i in running.indices where running[i].isPrefilling && budget > 0 {
            // The first chunk always joins, so that decode rows and drafts never starve prompts.
            guard prompts == 0 || configuration.batchMaxTokens - budget < configuration.prefillStepRows else { break }
            let start = running[i].prefilled
            let count = min(running[i].context.count - start, budget, pool.freeCount + cache.evictableSlots)
            guard count > 0, let slots = allocate(count) else { break }
            running[i].slots += slots
            running[i].ownSlots += slots
            budget -= count
            prompts += 1
            let output: Step.Output =
                start + count < running[i].context.count
                ? .none : (running[i].request.kind == .score ? .score : .sample(running[i].sampling))
            rows.append(Step.Row(
                sequence: running[i].id, tokens: Array(running[i].context[start..<(start + count)]), position: start,
                slots: running[i].slots, output: output, promptScoring: promptScoring(of: running[i], start: start, count: count)))
        }
        return rows
    }

    /// Adds to sequence `i`'s decode `row` the draft its speculation plans, at most `budget`
    /// tokens (and no more than can still be generated after the row's token), and allocates its
    /// slots; the row stays as it is when the sequence does not draft or the slots are short.
    private mutating func addDraft(to row: inout Step.Row, of i: Int, decodingRows: Int, budget: inout Int) {
        running[i].draftReserve = 0
        let limit = min(running[i].maxNewTokens - running[i].generated - 1, budget)
        guard let speculation = configuration.speculation, limit > 0,
            let (tokens, draft) = running[i].speculation.plan(
                speculation, history: running[i].history, limit: limit, decodingRows: decodingRows)
        else { return }
        var drafting = row
        drafting.tokens += tokens
        drafting.draft = draft
        guard let slots = pool.allocate(drafting.draftedCount) else { return }
        row = drafting
        running[i].slots += slots
        running[i].ownSlots += slots
        running[i].inFlightDraft = (draft, slots.count)
        running[i].draftReserve = slots.count
        budget -= slots.count
    }

    /// The prompt log-probabilities a prefill chunk of `sequence` over context positions
    /// `start ..< start + count` reports: those of the prompt tokens after each position not
    /// reported yet. Only the request's first sequence reports (its others share the prompt).
    private func promptScoring(of sequence: Sequence, start: Int, count: Int) -> PromptScoring? {
        guard let alternatives = sequence.request.options.promptLogprobs, sequence.id.index == 0 else { return nil }
        let from = max(start, sequence.promptScored)
        let end = min(start + count, sequence.prompt.count - 1)
        // Nothing new to report, unless the first token has not been reported yet (a one-token prompt).
        guard from < start + count, from < end || sequence.promptScored == 0 else { return nil }
        return PromptScoring(
            firstRow: from - start, targets: from < end ? Array(sequence.prompt[(from + 1)...end]) : [], alternatives: alternatives)
    }

    /// Preempts the most recently admitted request, unless it is the only one running (which
    /// admission guarantees fits the pool on its own); nil when there is nothing to preempt.
    private mutating func preemptNewest() -> Action? {
        let live = running.filter { !$0.ended }.map(\.request.id)
        guard let newest = live.last, newest != live.first else { return nil }
        return preempt(newest)
    }

    /// Frees `id`'s slots and puts it at the head of the line, to be recomputed from its prompt
    /// and what it generated.
    private mutating func preempt(_ id: RequestID) -> Action {
        var suspended: [Suspended] = []
        var request: GenerationRequest?
        var prompt: [Int32] = []
        running.removeAll { s in
            guard s.request.id == id else { return false }
            pool.release(s.ownSlots)
            cache.release(s.cacheNode)
            // Its output ends with the token it had pending: recomputing prompt + output
            // yields the logits that token would have given.
            if !s.ended {
                var speculation = s.speculation
                speculation.forgetDrafterState()
                suspended.append(Suspended(
                    index: s.id.index, output: s.output, sampling: s.sampling, promptScored: s.promptScored,
                    speculation: speculation))
            }
            request = s.request
            prompt = s.prompt
            return true
        }
        preemptions += 1
        waiting.insert(Waiting(request: request!, prompt: prompt, suspended: suspended), at: 0)
        return .preempted(request!)
    }

    /// Empties the prefix cache of every prefix no live sequence uses (those stay until their
    /// sequences end) and gives their slots back to the pool; returns how many slots it freed.
    public mutating func flushPrefixCache() -> Int {
        let freed = cache.evict(cache.evictableSlots)
        pool.release(freed)
        return freed.count
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

    /// Moves waiting requests into the running batch in arrival order (preempted ones first)
    /// while LightLLM's rule holds: the batch stays within `maxRunningSequences`, its predicted
    /// peak KV use within the pool, and the step has prompt budget left. Returns the admitted
    /// requests.
    private mutating func admitWaiting(budget: Int) -> [Waiting] {
        var admitted: [Waiting] = []
        var budget = budget
        var load = running.map { (held: $0.held, remaining: expectedRemaining(maxNewTokens: $0.maxNewTokens, generated: $0.generated)) }
        while let next = waiting.first, budget > 0 {
            let request = next.request
            let maxNew = request.newTokenLimit
            let members = next.suspended ?? (0..<request.sequenceCount).map {
                var sampling = SamplingState(
                    parameters: request.options.sampling, stopTokens: request.kind == .generate ? configuration.stopTokens : [],
                    seedOffset: UInt64($0), constraint: next.constraint?.start())
                if sampling.parameters.inputPenalty && sampling.parameters.hasPenalties {
                    for token in next.prompt { sampling.counts[token, default: 0] += 1 }
                }
                return Suspended(index: $0, output: [], sampling: sampling)
            }
            guard running.count + members.count <= configuration.maxRunningSequences else { break }
            let candidate = load + members.map {
                (held: next.prompt.count + $0.output.count, remaining: expectedRemaining(maxNewTokens: maxNew, generated: $0.output.count))
            }
            guard PeakPrediction.peak(candidate) <= configuration.kvCapacity else { break }
            if next.suspended != nil {
                // A preempted request comes back only when its recomputation fits the free slots
                // with room for every stream's next token; otherwise it would be preempted again.
                let decoding = running.filter { !$0.isPrefilling }.count
                let contexts = members.reduce(0) { $0 + next.prompt.count + $1.output.count }
                guard contexts + decoding <= pool.freeCount + cache.evictableSlots else { break }
            }
            waiting.removeFirst()
            load = candidate
            for member in members {
                let context = next.prompt + member.output
                var sequence = Sequence(
                    id: SequenceID(request: request.id, index: member.index), request: request, prompt: next.prompt,
                    context: context, sampling: member.sampling, output: member.output, history: context)
                sequence.promptScored = member.promptScored
                sequence.speculation = member.speculation
                // A prompt whose log-probabilities are asked for runs in full: cached positions
                // would have none.
                if configuration.prefixCaching && request.options.promptLogprobs == nil {
                    // At least the last context token runs, for its logits.
                    let (slots, node) = cache.acquire(context, limit: context.count - 1)
                    sequence.slots = slots
                    sequence.cacheNode = node
                    prefixTokensLookedUp += context.count
                    prefixTokensReused += slots.count
                }
                budget -= context.count
                running.append(sequence)
            }
            admitted.append(next)
        }
        return admitted
    }
}
