import LightServeCore

/// The input of one engine step: for each sequence, the tokens to run now (a prompt chunk, or
/// the one token decoded last step), where they sit, and which KV slots hold the sequence.
public struct ForwardBatch: Sendable {
    /// What to compute for a sequence's last token in this step.
    public enum Output: Sendable, Equatable {
        /// Nothing (a prompt chunk that is not the last).
        case none
        /// Next-token logits.
        case logits
        /// Next-token logits after every token of the sequence's (verifying a draft).
        case everyToken
        /// The reward head's score.
        case score
    }

    public struct Sequence: Sendable {
        public var tokens: [Int32]
        /// Position of `tokens[0]`: the number of tokens already in the cache for this sequence.
        public var position: Int
        /// Slot of every position `0 ..< position + tokens.count`.
        public var slots: [Int32]
        public var output: Output
        /// Log-probabilities of prompt tokens to compute over these rows, if asked for.
        public var promptScoring: PromptScoring?

        public init(tokens: [Int32], position: Int, slots: [Int32], output: Output = .logits, promptScoring: PromptScoring? = nil) {
            self.tokens = tokens
            self.position = position
            self.slots = slots
            self.output = output
            self.promptScoring = promptScoring
        }
    }

    public var sequences: [Sequence]

    public init(_ sequences: [Sequence]) {
        self.sequences = sequences
    }

    /// Total tokens run in the step.
    public var tokenCount: Int { sequences.reduce(0) { $0 + $1.tokens.count } }

    /// Rows of logits the step computes.
    var logitRowCount: Int {
        sequences.reduce(0) { count, sequence in
            switch sequence.output {
            case .none, .score: count
            case .logits: count + 1
            case .everyToken: count + sequence.tokens.count
            }
        }
    }
}
