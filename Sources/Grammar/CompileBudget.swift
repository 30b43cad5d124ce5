/// The work one compilation may do before it gives up with `GrammarError.tooComplex`: a grammar
/// that would blow up (a huge `{m,n}`, a regex whose automaton is exponential, a schema with
/// thousands of bounded strings) stops early instead of exhausting memory or time.
///
/// The limits let real grammars through with room to spare: the benchmark's four-tool schema
/// (formats, a `maxLength: 200` string) determinises to 6,003 states before minimising, 2,171
/// after, and walks 3.7 million trie nodes the first time its rules are seen. A pathological
/// grammar stops within about a second on one core.
struct CompileBudget {
    /// States of the per-rule byte automata before determinisation (every copy a `{m,n}`
    /// expands into counts).
    static let maxNFAStates = 400_000
    /// States of the determinised automata, summed over rules.
    static let maxDFAStates = 60_000
    /// Automaton states visited while determinising (a state of the result can stand for many of
    /// the source: nested counted repetitions make each one large).
    static let maxDeterminisingSteps = 10_000_000
    /// Trie nodes visited while precomputing token masks, summed over states (about 15 ns each:
    /// 100 million is 1.5 s on one core).
    static let maxTrieSteps = 100_000_000
    /// Bytes of precomputed token masks.
    static let maxMaskBytes = 512 << 20

    private(set) var nfaStates = 0
    private(set) var dfaStates = 0
    private(set) var determinisingSteps = 0
    private(set) var trieSteps = 0
    private(set) var maskBytes = 0

    mutating func chargeNFAStates(_ n: Int) throws(GrammarError) {
        try Self.charge(&nfaStates, n, limit: Self.maxNFAStates,
                        "its automata need more than \(Self.maxNFAStates) states before determinisation (large repetition counts?)")
    }

    mutating func chargeDFAStates(_ n: Int) throws(GrammarError) {
        try Self.charge(&dfaStates, n, limit: Self.maxDFAStates,
                        "its automata need more than \(Self.maxDFAStates) deterministic states")
    }

    mutating func chargeDeterminisingSteps(_ n: Int) throws(GrammarError) {
        try Self.charge(&determinisingSteps, n, limit: Self.maxDeterminisingSteps,
                        "determinising its automata would take more than \(Self.maxDeterminisingSteps) steps (nested repetition counts?)")
    }

    mutating func chargeTrieSteps(_ n: Int) throws(GrammarError) {
        try Self.charge(&trieSteps, n, limit: Self.maxTrieSteps,
                        "computing its token masks would visit more than \(Self.maxTrieSteps) vocabulary trie nodes")
    }

    mutating func chargeMaskBytes(_ n: Int) throws(GrammarError) {
        try Self.charge(&maskBytes, n, limit: Self.maxMaskBytes, "its token masks would take more than \(Self.maxMaskBytes >> 20) MiB")
    }

    /// Adds `n` to `counter` and gives up, saying `reason`, once it passes `limit`.
    private static func charge(
        _ counter: inout Int, _ n: Int, limit: Int, _ reason: @autoclosure () -> String
    ) throws(GrammarError) {
        counter += n
        if counter > limit { throw .tooComplex(reason()) }
    }
}
