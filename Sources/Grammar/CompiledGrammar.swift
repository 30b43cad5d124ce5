import Synchronization

/// A grammar compiled against one vocabulary: the rules' automata and, for every state a parse
/// can be in, its precomputed token mask. Shared by reference between every matcher (and every
/// sequence) that uses it; get one from `GrammarCompiler.compile(_:)`. Immutable but for a
/// mutex-guarded memo of masks across rule boundaries that matchers fill on first need.
public final class CompiledGrammar: Sendable {
    let automaton: GrammarAutomaton
    public let vocabulary: TokenVocabulary
    /// The vocabulary's trie, the non-plain tokens' trie and the plain-text remainder tries
    /// (`StateMask.trie` indexes it).
    let tries: [TokenTrie]
    /// Indexed by automaton state; nil for states a parse never stops in.
    let masks: [StateMask?]
    let initialPositions: [MatchPosition<StackFrame?>]
    let initialCanEnd: Bool
    /// Masks of a state read into a given return state (`StateMask.compute(state:returningTo:)`),
    /// keyed by the two states; at most `maxContinuations` are kept.
    private let continuations = Mutex<[Int64: StateMask]>([:])
    static let maxContinuations = 512
    /// Trie nodes below a position's exits that `GrammarMatcher.fillMask` walks against the stack
    /// itself; beyond that it uses a continuation mask.
    let directExitWork: Int

    init(
        automaton: GrammarAutomaton, vocabulary: TokenVocabulary, tries: [TokenTrie], masks: [StateMask?],
        directExitWork: Int
    ) {
        self.automaton = automaton
        self.directExitWork = directExitWork
        self.vocabulary = vocabulary
        self.tries = tries
        self.masks = masks
        var store = PersistentFrames()
        var scratch = StepScratch<StackFrame?>()
        var positions: [MatchPosition<StackFrame?>] = []
        initialCanEnd = automaton.expand(
            MatchPosition(state: automaton.ruleStarts[Int(automaton.rootRule)], frame: nil), store: &store,
            into: &positions, scratch: &scratch)
        initialPositions = positions
    }

    /// The mask of `state` read into `returnState`, computed the first time it is asked for.
    func continuationMask(_ state: Int32, returningTo returnState: Int32) -> StateMask {
        let key = Int64(state) << 32 | Int64(returnState)
        if let known = continuations.withLock({ $0[key] }) { return known }
        var walk = TrieWalk(automaton: automaton)
        let mask = StateMask.compute(
            state: state, returningTo: returnState, trie: tries[0], vocabularySize: vocabulary.count, walk: &walk)
        continuations.withLock { memo in
            if memo.count < Self.maxContinuations { memo[key] = mask }
        }
        return mask
    }

    /// A matcher at the start of the grammar.
    public func makeMatcher() -> GrammarMatcher {
        GrammarMatcher(self)
    }

    /// Bytes held by the precomputed masks (for cache accounting and reports).
    public var maskMemorySize: Int {
        masks.reduce(0) { $0 + ($1?.memorySize ?? 0) }
    }

    /// The number of automaton states (for reports).
    public var stateCount: Int { automaton.stateCount }
}
