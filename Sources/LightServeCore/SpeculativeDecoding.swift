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

        /// The acceptance rate a sequence's record starts from and fades back to
        /// (``AcceptanceEstimate``). Prompt lookup proposes only where at least two tokens
        /// matched, and `bench/speculative` saw 45-77% of its tokens accepted. From 50% it stayed
        /// idle for the server's life whenever the start-up measurement put a two-row step above
        /// 1.43 one-row steps (four of seventeen start-ups one afternoon on the shared Zen 4);
        /// alternated with 50%, 70% read 1.24-1.30x on the benchmark's rewrites against 1.01x
        /// (idle), 1.30x and 1.45x. A draft model proposes only tokens it gives at least even
        /// odds (`DraftModel.minimumConfidence`), and Qwen2.5-Coder-0.5B's proposals to the
        /// 1.5B were accepted 81-98% of the time in every `bench/speculative` run (whole head or
        /// pruned). Its one-token draft pays from 60-70% on the costs measured at start (a two-row
        /// step ~1.3 one-row steps, a pruned-head draft token 0.22-0.32), so from 50% it drafted
        /// only when a start-up happened to measure lower costs (two runs of three, whole head).
        public var acceptancePrior: Double {
            switch self {
            case .promptLookup: 0.7
            case .draftModel: 0.8
            }
        }
    }

    public var drafter: Drafter
    public var lengths: DraftLengthPolicy

    /// The lowest token ids a draft model's head computes unless told otherwise
    /// (`--draft-vocabulary`; the control tokens too). On Qwen2.5-Coder-0.5B drafting for the
    /// 1.5B (Zen 4, `bench/speculative`), a draft token cost 0.22-0.32 of a one-row step against
    /// 0.39-0.40 with the whole head, and 81-87% of drafted tokens were accepted against 87-98%.
    public static let defaultDraftVocabulary = 32768

    /// The lowest token ids a draft model's head computes when `--draft-vocabulary` asks for
    /// `requested`: nil, the whole head, for 0.
    public static func draftHeadVocabulary(_ requested: Int) -> Int? {
        requested > 0 ? requested : nil
    }

    public init(drafter: Drafter, lengths: DraftLengthPolicy) {
        self.drafter = drafter
        self.lengths = lengths
    }
}
