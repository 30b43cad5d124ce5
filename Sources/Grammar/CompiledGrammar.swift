/// A grammar compiled against one vocabulary: the rules' automata and, for every state a parse
/// can be in, its precomputed token mask. Immutable and shared by reference between every
/// matcher (and every sequence) that uses it; get one from `GrammarCompiler.compile(_:)`.
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

    init(automaton: GrammarAutomaton, vocabulary: TokenVocabulary, tries: [TokenTrie], masks: [StateMask?]) {
        self.automaton = automaton
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
