/// The scheduler's limits, from the server's flags.
public struct SchedulerConfiguration: Sendable, Equatable {
    /// KV token slots in the pool (`--max-total-tokens`).
    public var kvCapacity: Int
    /// Sequences decoding at once (`--max-running-requests`).
    public var maxRunningSequences: Int
    /// Tokens one engine step may run: decode rows plus prompt chunks (`--batch-max-tokens`).
    public var batchMaxTokens: Int
    /// The model's end-of-sequence tokens.
    public var stopTokens: [Int32]
    /// Reuse the KV of prompt prefixes seen before (`--no-prefix-cache` turns it off).
    public var prefixCaching: Bool

    public init(kvCapacity: Int, maxRunningSequences: Int, batchMaxTokens: Int, stopTokens: [Int32], prefixCaching: Bool = true) {
        precondition(maxRunningSequences >= 1 && batchMaxTokens >= maxRunningSequences,
                     "a step must have room for one token of every running sequence")
        self.kvCapacity = kvCapacity
        self.maxRunningSequences = maxRunningSequences
        self.batchMaxTokens = batchMaxTokens
        self.stopTokens = stopTokens
        self.prefixCaching = prefixCaching
    }
}
