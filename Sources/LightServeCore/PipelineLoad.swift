import Synchronization

/// Load figures of the whole pipeline, each written by the one stage that knows it and read
/// with an atomic load by `/token_load`, `/metrics` and admission control.
public final class PipelineLoad: Sendable {
    /// KV token slots in the pool.
    public let kvCapacity: Int
    /// Requests allowed to wait (in Tokenize's queue and the scheduler's waiting line) at once.
    public let maxWaitingRequests: Int

    private let waiting = Atomic<Int>(0)
    private let tokenizeDemand = Atomic<Int>(0)
    private let tokenizePrompts = Atomic<Int>(0)
    private let waitingPrompts = Atomic<Int>(0)
    private let heldSlots = Atomic<Int>(0)
    private let predictedPeak = Atomic<Int>(0)
    private let waitingDemand = Atomic<Int>(0)
    private let scheduledWaiting = Atomic<Int>(0)
    private let runningSequences = Atomic<Int>(0)
    private let engineHealthy = Atomic<Bool>(true)
    private let prefixLookups = Atomic<Int>(0)
    private let prefixHits = Atomic<Int>(0)
    private let preemptions = Atomic<Int>(0)
    private let draftedTokens = Atomic<Int>(0)
    private let acceptedTokens = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)
    private let open = Atomic<Int>(0)

    /// What the scheduler publishes after every change.
    public struct ScheduleSnapshot: Sendable, Equatable {
        /// Slots held by live sequences (prompt and generated tokens).
        public var heldSlots = 0
        /// Predicted peak slot use of the running batch if every sequence runs to its limit.
        public var predictedPeak = 0
        /// Σ (prompt + max_new_tokens) of requests waiting for admission.
        public var waitingDemand = 0
        /// Prompt tokens of requests waiting for admission (preempted ones included).
        public var waitingPromptTokens = 0
        public var waitingRequests = 0
        public var runningSequences = 0
        /// Prompt tokens looked up in the prefix cache since start, and how many were found.
        public var prefixTokensLookedUp = 0
        public var prefixTokensReused = 0
        /// Requests preempted (their KV freed, to be recomputed) since start.
        public var preemptions = 0
        /// Tokens drafted for speculative decoding since start, and how many the model accepted.
        public var draftedTokens = 0
        public var acceptedTokens = 0

        public init() {}
    }

    public init(kvCapacity: Int, maxWaitingRequests: Int) {
        self.kvCapacity = kvCapacity
        self.maxWaitingRequests = maxWaitingRequests
    }

    // MARK: Admission (Ingress reserves, the stage where waiting ends releases)

    /// Takes a waiting place if one is free; false means the server is full (503).
    public func reserveWaitingPlace() -> Bool {
        var current = waiting.load(ordering: .relaxed)
        while current < maxWaitingRequests {
            let (exchanged, original) = waiting.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives a waiting place back: the request started running, was rejected or was cancelled.
    public func releaseWaitingPlace() {
        waiting.subtract(1, ordering: .acquiringAndReleasing)
    }

    /// Requests holding a waiting place.
    public var waitingRequests: Int { waiting.load(ordering: .relaxed) }

    // MARK: Demand still in Tokenize's queue (estimated from bytes, refined once tokenized)

    /// `request` entered Tokenize's queue: its estimated demand and prompt count as queued.
    public func enterTokenizeQueue(_ request: GenerationRequest) {
        tokenizeDemand.add(request.demandEstimate, ordering: .relaxed)
        tokenizePrompts.add(request.promptTokenEstimate, ordering: .relaxed)
    }

    /// `request` left Tokenize's queue (tokenized, refused, or never sent).
    public func leaveTokenizeQueue(_ request: GenerationRequest) {
        tokenizeDemand.subtract(request.demandEstimate, ordering: .relaxed)
        tokenizePrompts.subtract(request.promptTokenEstimate, ordering: .relaxed)
    }

    public var queuedTokenizeDemand: Int { tokenizeDemand.load(ordering: .relaxed) }
    /// Upper bound of the prompt tokens in Tokenize's queue.
    public var queuedTokenizePrompts: Int { tokenizePrompts.load(ordering: .relaxed) }

    // MARK: Scheduler state

    /// Called by the scheduler after every change; each figure is stored on its own, so a reader
    /// may see figures from two consecutive publications side by side.
    public func publish(_ snapshot: ScheduleSnapshot) {
        heldSlots.store(snapshot.heldSlots, ordering: .relaxed)
        predictedPeak.store(snapshot.predictedPeak, ordering: .relaxed)
        waitingDemand.store(snapshot.waitingDemand, ordering: .relaxed)
        waitingPrompts.store(snapshot.waitingPromptTokens, ordering: .relaxed)
        scheduledWaiting.store(snapshot.waitingRequests, ordering: .relaxed)
        runningSequences.store(snapshot.runningSequences, ordering: .relaxed)
        prefixLookups.store(snapshot.prefixTokensLookedUp, ordering: .relaxed)
        prefixHits.store(snapshot.prefixTokensReused, ordering: .relaxed)
        preemptions.store(snapshot.preemptions, ordering: .relaxed)
        draftedTokens.store(snapshot.draftedTokens, ordering: .relaxed)
        acceptedTokens.store(snapshot.acceptedTokens, ordering: .relaxed)
    }

    public var schedule: ScheduleSnapshot {
        var s = ScheduleSnapshot()
        s.heldSlots = heldSlots.load(ordering: .relaxed)
        s.predictedPeak = predictedPeak.load(ordering: .relaxed)
        s.waitingDemand = waitingDemand.load(ordering: .relaxed)
        s.waitingPromptTokens = waitingPrompts.load(ordering: .relaxed)
        s.waitingRequests = scheduledWaiting.load(ordering: .relaxed)
        s.runningSequences = runningSequences.load(ordering: .relaxed)
        s.preemptions = preemptions.load(ordering: .relaxed)
        s.draftedTokens = draftedTokens.load(ordering: .relaxed)
        s.acceptedTokens = acceptedTokens.load(ordering: .relaxed)
        return s
    }

    // MARK: Prefix cache (published by the scheduler)

    /// Fraction of prompt tokens whose KV came from the prefix cache, since start.
    public var prefixCacheHitRatio: Double {
        let lookups = prefixLookups.load(ordering: .relaxed)
        return lookups == 0 ? 0 : Double(prefixHits.load(ordering: .relaxed)) / Double(lookups)
    }

    // MARK: Engine health

    public var isEngineHealthy: Bool { engineHealthy.load(ordering: .relaxed) }
    public func markEngineFailed() { engineHealthy.store(false, ordering: .relaxed) }

    // MARK: Shutdown

    /// Whether the server is draining: it finishes what it has and takes nothing new, and its
    /// health checks say so, so that load balancers stop sending before it goes away.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }
    public func beginDraining() { draining.store(true, ordering: .releasing) }

    /// What health checks report.
    public enum Health: Sendable {
        case healthy
        case draining
        case failed
    }

    public var health: Health { !isEngineHealthy ? .failed : (isDraining ? .draining : .healthy) }

    /// Requests Ingress has submitted whose handlers have not let go of them yet.
    public var openRequests: Int { open.load(ordering: .acquiring) }
    public func requestOpened() { open.add(1, ordering: .relaxed) }
    public func requestClosed() { open.subtract(1, ordering: .releasing) }

    // MARK: Derived figures (LightLLM's /token_load)

    public struct TokenLoad: Sendable, Equatable {
        public var current: Double
        public var logicalMax: Double
        public var dynamicMax: Double
    }

    public var tokenLoad: TokenLoad {
        let s = schedule
        let capacity = Double(max(kvCapacity, 1))
        return TokenLoad(
            current: Double(s.heldSlots) / capacity,
            logicalMax: Double(s.heldSlots.addingSaturated(s.waitingDemand).addingSaturated(queuedTokenizeDemand)) / capacity,
            dynamicMax: Double(s.predictedPeak) / capacity)
    }

    // MARK: SGLang's /get_load

    /// Tokens this replica is committed to: KV slots held plus the prompt tokens queued in any
    /// stage (what sglang-router's `power_of_two` compares between workers).
    public var committedTokens: Int {
        let s = schedule
        return s.heldSlots.addingSaturated(s.waitingPromptTokens).addingSaturated(max(0, queuedTokenizePrompts))
    }
}
