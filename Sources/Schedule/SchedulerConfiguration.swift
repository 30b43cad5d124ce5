import LightServeCore

/// The scheduler's limits, from the server's flags.
public struct SchedulerConfiguration: Sendable, Equatable {
    /// KV token slots in the pool (`--max-total-tokens`).
    public var kvCapacity: Int
    /// Sequences decoding at once (`--max-running-requests`).
    public var maxRunningSequences: Int
    /// Tokens one engine step may run: decode rows plus prompt chunks (`--batch-max-tokens`).
    public var batchMaxTokens: Int
    /// A step adds another prompt's chunk only while it holds fewer rows than this
    /// (`--prefill-step-rows`), though one prompt's chunk always joins, and may run to
    /// `batchMaxTokens`. Prompts that arrive together then finish, and send their first tokens,
    /// one or two a step instead of all at the end of one long step, while a long prompt alone
    /// still fills the step.
    public var prefillStepRows: Int
    /// The model's end-of-sequence tokens.
    public var stopTokens: [Int32]
    /// Reuse the KV of prompt prefixes seen before (`--no-prefix-cache` turns it off).
    public var prefixCaching: Bool
    /// Admission expects a sequence to generate at most this many tokens, or 1.1 × what it has
    /// generated when that is more (LightLLM's `router_max_new_token_len`); nil expects every
    /// sequence to run to its `max_new_tokens`. Admitting on a smaller figure runs more requests
    /// at once, and a pool that runs short preempts the newest.
    public var routerMaxNewTokenLength: Int?
    /// Speculative decoding (`--speculate`, `--draft-model`), or nil to decode one token per step.
    public var speculation: SpeculativeDecoding?

    public init(
        kvCapacity: Int, maxRunningSequences: Int, batchMaxTokens: Int, prefillStepRows: Int? = nil, stopTokens: [Int32],
        prefixCaching: Bool = true, routerMaxNewTokenLength: Int? = nil, speculation: SpeculativeDecoding? = nil
    ) {
        precondition(maxRunningSequences >= 1 && batchMaxTokens >= maxRunningSequences,
                     "a step must have room for one token of every running sequence")
        precondition((prefillStepRows ?? 1) >= 1, "a step must be able to take a prompt chunk")
        self.kvCapacity = kvCapacity
        self.maxRunningSequences = maxRunningSequences
        self.batchMaxTokens = batchMaxTokens
        self.prefillStepRows = prefillStepRows ?? batchMaxTokens
        self.stopTokens = stopTokens
        self.prefixCaching = prefixCaching
        self.routerMaxNewTokenLength = routerMaxNewTokenLength
        self.speculation = speculation
    }
}
