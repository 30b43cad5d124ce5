import Synchronization

/// Compiles grammars against one model's vocabulary and remembers the results.
///
/// Thread-safe (`Sendable`): call `compile(_:)` from any task or thread; it runs synchronously
/// on the caller's thread, so serving code runs it off the engine thread. Two caches, both
/// least-recently-used and bounded by count and by the bytes of token masks they hold:
/// - whole compiled grammars, keyed by the grammar's content, so the same schema compiles once;
/// - the token masks of shared rules (JSON strings, numbers, whitespace, formats, any JSON value),
///   keyed by their automata, so a new schema pays only for its own structure.
///
/// Two tasks compiling the same new grammar at once both compile it; the second result replaces
/// the first in the cache (they are equal).
public final class GrammarCompiler: Sendable {
    public let vocabulary: TokenVocabulary
    /// The vocabulary's trie, the non-plain tokens' trie, then `slices.remainders`.
    let tries: [TokenTrie]
    let slices: PlainTextSlices
    private let grammars: Mutex<BoundedCache<Grammar, CompiledGrammar>>
    private let ruleMasks: Mutex<BoundedCache<[Int32], [StateMask?]>>
    /// See `CompiledGrammar.directExitWork`.
    let directExitWork: Int

    /// Indexes `vocabulary` (sorting its tokens into tries: about 0.1 s for 150k tokens) and keeps
    /// up to `cacheCapacity` compiled grammars holding at most `cacheBytes` of token masks (the
    /// benchmark's schemas hold 0.1 to 5 MB each), and the masks of up to 256 shared rules in at
    /// most 128 MiB.
    public convenience init(vocabulary: TokenVocabulary, cacheCapacity: Int = 128, cacheBytes: Int = 256 << 20) {
        self.init(vocabulary: vocabulary, cacheCapacity: cacheCapacity, cacheBytes: cacheBytes, directExitWork: 20_000)
    }

    /// `directExitWork` set by tests to send every exit check through continuation masks.
    init(vocabulary: TokenVocabulary, cacheCapacity: Int, cacheBytes: Int, directExitWork: Int) {
        self.vocabulary = vocabulary
        self.directExitWork = directExitWork
        let trie = TokenTrie(vocabulary)
        slices = PlainTextSlices(vocabulary: vocabulary, trie: trie)
        tries = [trie, slices.nonPlain] + slices.remainders
        grammars = Mutex(BoundedCache(maxCount: cacheCapacity, maxBytes: cacheBytes))
        ruleMasks = Mutex(BoundedCache(maxCount: 256, maxBytes: 128 << 20))
    }

    /// The compiled form of `grammar`, from the cache when the same grammar was compiled before.
    public func compile(_ grammar: Grammar) throws(GrammarError) -> CompiledGrammar {
        let key = HashedKey(grammar)
        if let hit = grammars.withLock({ $0.value(for: key) }) { return hit }
        let compiled = try build(grammar)
        grammars.withLock { $0.insert(compiled, bytes: compiled.maskMemorySize, for: key) }
        return compiled
    }

    /// The number of compiled grammars held in the cache.
    public var cachedGrammarCount: Int {
        grammars.withLock { $0.count }
    }

    private func build(_ grammar: Grammar) throws(GrammarError) -> CompiledGrammar {
        var budget = CompileBudget()
        let automaton = try AutomatonBuilder.build(grammar, budget: &budget)
        var masks = [StateMask?](repeating: nil, count: automaton.stateCount)
        var walk = TrieWalk(automaton: automaton)
        var plainReadings = [PlainReading?](repeating: nil, count: automaton.stateCount)
        let readsBytes = GrammarAutomaton.State.readsBytes
        for rule in automaton.ruleStates.indices {
            let range = automaton.ruleStates[rule]
            guard range.contains(where: { automaton.needsMask[Int($0)] }) else { continue }
            // Exits matter only below a call; a shared rule may be called in another grammar.
            let withExits = automaton.isCalled[rule] || automaton.sharedKeys[rule] != nil
            guard let description = automaton.sharedKeys[rule] else {
                for s in range where automaton.needsMask[Int(s)] {
                    masks[Int(s)] = try compute(s, withExits, automaton, &walk, &plainReadings, &budget)
                }
                continue
            }
            // A shared rule: every state that reads bytes, reused from or added to the cache.
            let key = HashedKey(description)
            var shared = ruleMasks.withLock { $0.value(for: key) }
            if shared == nil {
                var computed: [StateMask?] = []
                for s in range {
                    let reads = automaton.states[Int(s)].flags & readsBytes != 0
                    computed.append(reads ? try compute(s, withExits, automaton, &walk, &plainReadings, &budget) : nil)
                }
                let bytes = computed.reduce(0) { $0 + ($1?.memorySize ?? 0) }
                ruleMasks.withLock { $0.insert(computed, bytes: bytes, for: key) }
                shared = computed
            }
            for (i, s) in range.enumerated() where automaton.needsMask[Int(s)] { masks[Int(s)] = shared![i] }
        }
        return CompiledGrammar(
            automaton: automaton, vocabulary: vocabulary, tries: tries, masks: masks, directExitWork: directExitWork)
    }

    private func compute(
        _ state: Int32, _ withExits: Bool, _ automaton: GrammarAutomaton, _ walk: inout TrieWalk,
        _ plainReadings: inout [PlainReading?], _ budget: inout CompileBudget
    ) throws(GrammarError) -> StateMask {
        let (mask, visited) = StateMask.compute(
            state: state, tries: tries, slices: slices, vocabularySize: vocabulary.count, withExits: withExits,
            walk: &walk, plainReadings: &plainReadings)
        try budget.chargeTrieSteps(visited)
        try budget.chargeMaskBytes(mask.memorySize)
        return mask
    }
}
