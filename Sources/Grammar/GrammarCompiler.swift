import Synchronization

/// Compiles grammars against one model's vocabulary and remembers the results.
///
/// Thread-safe (`Sendable`): call `compile(_:)` from any task or thread; it runs synchronously
/// on the caller's thread, so serving code runs it off the engine thread. Two caches, both
/// bounded and least-recently-used:
/// - whole compiled grammars, keyed by the grammar's content, so the same schema compiles once;
/// - the token masks of shared rules (JSON strings, numbers, whitespace, any JSON value), keyed by
///   their automata, so a new schema pays only for its own structure.
///
/// Two tasks compiling the same new grammar at once both compile it; the second result replaces
/// the first in the cache (they are equal).
public final class GrammarCompiler: Sendable {
    public let vocabulary: TokenVocabulary
    /// The vocabulary's trie, the non-plain tokens' trie, then `slices.remainders`.
    let tries: [TokenTrie]
    let slices: PlainTextSlices
    private let cache: Mutex<Caches>
    private let capacity: Int

    private struct Caches {
        var grammars: [Grammar: (compiled: CompiledGrammar, lastUse: UInt64)] = [:]
        var ruleMasks: [[Int32]: (masks: [StateMask?], lastUse: UInt64)] = [:]
        var clock: UInt64 = 0
    }

    /// At most this many shared rules' masks are kept.
    static let sharedRuleCapacity = 256

    /// Indexes `vocabulary` (sorting its tokens into a trie: ~100 ms for 150k tokens) and keeps
    /// up to `cacheCapacity` compiled grammars.
    public init(vocabulary: TokenVocabulary, cacheCapacity: Int = 128) {
        self.vocabulary = vocabulary
        let trie = TokenTrie(vocabulary)
        slices = PlainTextSlices(vocabulary: vocabulary, trie: trie)
        tries = [trie, slices.nonPlain] + slices.remainders
        capacity = max(cacheCapacity, 1)
        cache = Mutex(Caches())
    }

    /// The compiled form of `grammar`, from the cache when the same grammar was compiled before.
    public func compile(_ grammar: Grammar) throws(GrammarError) -> CompiledGrammar {
        if let hit = cache.withLock({ caches -> CompiledGrammar? in
            caches.clock += 1
            guard let entry = caches.grammars[grammar] else { return nil }
            caches.grammars[grammar] = (entry.compiled, caches.clock)
            return entry.compiled
        }) {
            return hit
        }
        let compiled = try build(grammar)
        cache.withLock { caches in
            caches.clock += 1
            caches.grammars[grammar] = (compiled, caches.clock)
            if caches.grammars.count > capacity,
                let oldest = caches.grammars.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
            {
                caches.grammars[oldest] = nil
            }
        }
        return compiled
    }

    /// The number of compiled grammars held in the cache.
    public var cachedGrammarCount: Int {
        cache.withLock { $0.grammars.count }
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
            guard let key = automaton.sharedKeys[rule] else {
                for s in range where automaton.needsMask[Int(s)] {
                    masks[Int(s)] = try compute(s, automaton, &walk, &plainReadings, &budget)
                }
                continue
            }
            // A shared rule: every state that reads bytes, reused from or added to the cache.
            var ruleMasks = cache.withLock { caches -> [StateMask?]? in
                caches.clock += 1
                guard let entry = caches.ruleMasks[key] else { return nil }
                caches.ruleMasks[key] = (entry.masks, caches.clock)
                return entry.masks
            }
            if ruleMasks == nil {
                var computed: [StateMask?] = []
                for s in range {
                    computed.append(
                        automaton.states[Int(s)].flags & readsBytes != 0 ? try compute(s, automaton, &walk, &plainReadings, &budget) : nil)
                }
                ruleMasks = computed
                cache.withLock { caches in
                    caches.clock += 1
                    caches.ruleMasks[key] = (computed, caches.clock)
                    if caches.ruleMasks.count > Self.sharedRuleCapacity,
                        let oldest = caches.ruleMasks.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
                    {
                        caches.ruleMasks[oldest] = nil
                    }
                }
            }
            for (i, s) in range.enumerated() where automaton.needsMask[Int(s)] { masks[Int(s)] = ruleMasks![i] }
        }
        return CompiledGrammar(automaton: automaton, vocabulary: vocabulary, tries: tries, masks: masks)
    }

    private func compute(
        _ state: Int32, _ automaton: GrammarAutomaton, _ walk: inout TrieWalk, _ plainReadings: inout [PlainReading?],
        _ budget: inout CompileBudget
    ) throws(GrammarError) -> StateMask {
        let rule = automaton.ruleStates.firstIndex { $0.contains(state) }!
        let (mask, visited) = StateMask.compute(
            state: state, tries: tries, slices: slices, vocabularySize: vocabulary.count,
            withExits: automaton.isCalled[rule] || automaton.sharedKeys[rule] != nil, walk: &walk,
            plainReadings: &plainReadings)
        try budget.chargeTrieSteps(visited)
        try budget.chargeMaskBytes(mask.memorySize)
        return mask
    }
}
