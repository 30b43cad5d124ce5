/// How the server speculates (`--speculate`, `--draft-model`): who drafts, and how many tokens.
/// A cheap drafter proposes tokens, the model verifies them all in one pass that reads its
/// weights once, and every accepted token beyond the first comes nearly free while that pass
/// stays bound by reading the weights. Outputs do not change: greedy decoding keeps the model's
/// own choices, and sampling keeps its distribution exactly (``Draft``).
public struct SpeculativeDecoding: Sendable, Equatable {
    public enum Drafter: Sendable, Equatable {
        /// Continuations of earlier matches in the prompt and output (no second model).
        case promptLookup(PromptLookup)
        /// A small model with the same vocabulary, run by the Execute stage beside the model.
        case draftModel
    }

    public var drafter: Drafter
    public var lengths: DraftLengthPolicy

    public init(drafter: Drafter, lengths: DraftLengthPolicy) {
        self.drafter = drafter
        self.lengths = lengths
    }
}
