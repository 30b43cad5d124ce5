/// Tokenize → Schedule: a request with its prompt's token ids and its compiled output constraint.
public struct Admission: Sendable {
    public let request: GenerationRequest
    public let promptIDs: [Int32]
    /// The request's ``OutputConstraint`` compiled against the vocabulary; each sequence starts
    /// its own state from it.
    public let constraint: (any TokenConstraintProgram)?
    /// When tokenization finished: the request waits for admission from here.
    public let tokenizedAt: ContinuousClock.Instant
    /// The rendered chat prompt ends inside the model's reasoning block.
    public let opensReasoning: Bool

    public init(
        request: GenerationRequest, promptIDs: [Int32], constraint: (any TokenConstraintProgram)? = nil,
        tokenizedAt: ContinuousClock.Instant = .now, opensReasoning: Bool = false
    ) {
        self.request = request
        self.promptIDs = promptIDs
        self.constraint = constraint
        self.tokenizedAt = tokenizedAt
        self.opensReasoning = opensReasoning
    }
}

/// Everything the scheduler reacts to, on its one inbox.
public enum SchedulerMessage: Sendable {
    /// A tokenized request asks to be scheduled.
    case admit(Admission)
    /// The client went away: drop the request and free its KV slots.
    case cancel(RequestID)
    /// Execute finished a step.
    case stepCompleted(StepResult)
    /// Detokenize saw a stop sequence in this sequence's text.
    case stopSequence(SequenceID)
    /// Execute could not run a step.
    case stepFailed(step: UInt64, message: String)
    /// Drop every cached prompt prefix no running sequence uses (`POST /flush_cache`).
    case flushPrefixCache(FlushReply)
}

/// The scheduler's answer to ``SchedulerMessage/flushPrefixCache(_:)``: the slots it freed.
/// The scheduler calls it once; the sender waits on it without ever touching the cache.
public struct FlushReply: Sendable {
    private let deliver: @Sendable (Int) -> Void

    public init(_ deliver: @escaping @Sendable (_ freedSlots: Int) -> Void) {
        self.deliver = deliver
    }

    public func finish(freedSlots: Int) { deliver(freedSlots) }
}

/// Schedule → Execute: one engine step, every row of every sequence in it.
public struct Step: Sendable {
    public enum Output: Sendable {
        /// A prompt chunk that is not the prompt's end.
        case none
        /// Sample the next token with this sequence's sampler.
        case sample(SamplingState)
        /// Apply the reward head.
        case score
    }

    public struct Row: Sendable {
        public var sequence: SequenceID
        /// The tokens run now: a prompt chunk, or the one token sampled last step (followed by
        /// the tokens prompt lookup drafted after it, when ``draft`` is ``Draft/lookup``).
        public var tokens: [Int32]
        /// Position of `tokens[0]`.
        public var position: Int
        /// KV slot of every position `0 ..< position + runLength`.
        public var slots: [Int32]
        public var output: Output
        /// Prompt log-probabilities to compute over this chunk, if its request asked for them.
        public var promptScoring: PromptScoring?
        /// Speculative decoding: how the row's draft comes about; nil for a row that samples one
        /// token after its last.
        public var draft: Draft?

        public init(
            sequence: SequenceID, tokens: [Int32], position: Int, slots: [Int32], output: Output,
            promptScoring: PromptScoring? = nil, draft: Draft? = nil
        ) {
            self.sequence = sequence
            self.tokens = tokens
            self.position = position
            self.slots = slots
            self.output = output
            self.promptScoring = promptScoring
            self.draft = draft
        }

        /// Drafted tokens the model verifies in this row.
        public var draftedCount: Int {
            switch draft {
            case nil: 0
            case .lookup: tokens.count - 1
            case .model(let length, _): length
            }
        }

        /// Positions the model runs: the row's tokens and the draft model's proposals.
        public var runLength: Int {
            if case .model(let length, _) = draft { return tokens.count + length }
            return tokens.count
        }

        /// A row that continues a sequence's output (rather than a prompt chunk).
        public var isDecode: Bool {
            guard case .sample = output, position > 0 else { return false }
            return draft != nil || tokens.count == 1
        }
    }

    public var number: UInt64
    public var rows: [Row]

    public init(number: UInt64, rows: [Row]) {
        self.number = number
        self.rows = rows
    }

    /// Positions the model runs in the step, drafted ones included.
    public var tokenCount: Int { rows.reduce(0) { $0 + $1.runLength } }
}

/// Where a decode row's drafted tokens come from (speculative decoding). Execute runs the row's
/// token and the draft through the model in one pass, keeps the longest prefix of the draft the
/// model agrees with and samples the token after it: ``StepResult/Outcome/speculated(tokens:drafted:state:)``.
public enum Draft: Sendable, Equatable {
    /// The row's tokens after the first were proposed by prompt lookup: a proposal without
    /// probabilities, verified as a point mass.
    case lookup
    /// The draft model proposes up to `length` tokens after the row's token, which it first runs
    /// after `catchUp`: the tokens just before it (positions `position - catchUp.count ..<
    /// position`) whose keys and values it has not computed yet.
    case model(length: Int, catchUp: [Int32])
}

/// Which prompt log-probabilities a prefill chunk computes: for its token `firstRow + i`, the
/// log-probability of `targets[i]`, the prompt token after it. A chunk that ends the prompt has
/// one target fewer than tokens (its last token's logits choose the first generated token); one
/// recomputed after a preemption starts past the positions already reported.
public struct PromptScoring: Sendable, Equatable {
    public var firstRow: Int
    public var targets: [Int32]
    /// How many of the most likely tokens to report at each position.
    public var alternatives: Int

    public init(firstRow: Int = 0, targets: [Int32], alternatives: Int) {
        self.firstRow = firstRow
        self.targets = targets
        self.alternatives = alternatives
    }
}

/// The log-probability of one prompt token given the tokens before it, with the most likely
/// tokens at its position.
public struct PromptLogprob: Sendable, Equatable {
    public var token: TokenLogprob
    public var alternatives: [TokenLogprob]

    public init(token: TokenLogprob, alternatives: [TokenLogprob]) {
        self.token = token
        self.alternatives = alternatives
    }
}

/// Execute → Schedule: what a step produced, row by row in the step's order.
public struct StepResult: Sendable {
    public enum Outcome: Sendable {
        case none
        case sampled(token: Int32, logprob: Float, alternatives: [TokenLogprob], state: SamplingState)
        /// A verified draft of `drafted` tokens: the first `accepted` of `tokens` are the drafted
        /// tokens the model accepted, in order; the one after them, if any, is the token it chose
        /// in place of the first rejected one or after the whole draft (there is none when an
        /// accepted end-of-sequence token ends the sequence). `state` has recorded every token.
        case speculated(tokens: [SampledToken], accepted: Int, drafted: Int, state: SamplingState)
        case scored(Float)
    }

    public var number: UInt64
    public var outcomes: [Outcome]
    /// Prompt log-probabilities, by row index, for the rows that asked for them.
    public var promptLogprobs: [Int: [PromptLogprob]]
    /// Time the engine spent on the step.
    public var duration: Duration
    /// Of ``duration``, the time the draft model spent proposing (its catch-up included); zero
    /// when no row drafted with it.
    public var draftDuration: Duration

    public init(
        number: UInt64, outcomes: [Outcome], promptLogprobs: [Int: [PromptLogprob]] = [:], duration: Duration,
        draftDuration: Duration = .zero
    ) {
        self.number = number
        self.outcomes = outcomes
        self.promptLogprobs = promptLogprobs
        self.duration = duration
        self.draftDuration = draftDuration
    }

    /// Drafted and accepted tokens over the step's verified drafts; nil when no row drafted.
    public var speculation: (drafted: Int, accepted: Int)? {
        var total: (drafted: Int, accepted: Int)?
        for case .speculated(_, let accepted, let drafted, _) in outcomes {
            total = ((total?.drafted ?? 0) + drafted, (total?.accepted ?? 0) + accepted)
        }
        return total
    }
}

/// A token chosen by the sampler, with its log-probability and the most likely alternatives.
public struct SampledToken: Sendable, Equatable {
    public var token: Int32
    public var logprob: Float
    public var alternatives: [TokenLogprob]

    public init(token: Int32, logprob: Float, alternatives: [TokenLogprob] = []) {
        self.token = token
        self.logprob = logprob
        self.alternatives = alternatives
    }
}

/// Schedule → Detokenize: the tokens of one step for every sequence, as one message.
public struct TokenBatch: Sendable {
    public enum Entry: Sendable {
        /// A sequence's new token, and how it ended the sequence if it did.
        case token(
            GenerationRequest, sequence: Int, id: Int32, logprob: Float, alternatives: [TokenLogprob], end: SequenceEnd?)
        /// A sequence the scheduler dropped on Detokenize's word (a stop sequence): forget it.
        case retired(SequenceID)
        /// A scored prompt.
        case score(GenerationRequest, value: Float, promptTokens: Int)
        /// Prompt log-probabilities of one prefill chunk, in order; `first` is the prompt's first
        /// token on its first chunk (it has no log-probability of its own).
        case promptLogprobs(GenerationRequest, first: Int32?, [PromptLogprob])
        /// An engine failure for a request.
        case failed(GenerationRequest, message: String)
    }

    public var step: UInt64
    public var entries: [Entry]

    public init(step: UInt64, entries: [Entry]) {
        self.step = step
        self.entries = entries
    }
}
