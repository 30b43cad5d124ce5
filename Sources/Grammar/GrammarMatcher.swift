import LightServeCore

/// Where one sequence's output stands in a compiled grammar: which tokens may come next, and
/// whether the output may end.
///
/// A value: copying it is how a caller keeps a state to roll back to (speculative decoding,
/// `best_of`), and copies are cheap because the parse stacks are shared immutable nodes.
public struct GrammarMatcher: Sendable {
    public let grammar: CompiledGrammar
    /// The parses of the output so far, each at a state that reads the next byte.
    private var positions: [MatchPosition<StackFrame?>]
    /// The grammar accepts the output so far: end-of-sequence ids are allowed exactly then.
    public private(set) var canEnd: Bool
    /// An end-of-sequence token was accepted; nothing more is.
    public private(set) var isTerminated = false

    public init(_ grammar: CompiledGrammar) {
        self.grammar = grammar
        positions = grammar.initialPositions
        canEnd = grammar.initialCanEnd
    }

    /// No more bytes can follow: only end-of-sequence remains (or was accepted already).
    public var isComplete: Bool { positions.isEmpty }

    /// Advances past `token`. Returns false, leaving the matcher unchanged, if the token is not
    /// allowed here: a control token, an empty one, bytes the grammar rejects, or an
    /// end-of-sequence id before the grammar can end. An accepted end-of-sequence id terminates.
    @discardableResult
    public mutating func accept(_ token: Int32) -> Bool {
        let vocabulary = grammar.vocabulary
        guard !isTerminated, token >= 0, Int(token) < vocabulary.count else { return false }
        if vocabulary.isEndOfSequence(token) {
            guard canEnd else { return false }
            isTerminated = true
            positions = []
            return true
        }
        guard vocabulary.isGrammarToken(token) else { return false }
        return accept(bytes: vocabulary.bytes(of: token))
    }

    /// Advances past raw output bytes (text forced into the output, or tests). Returns false,
    /// leaving the matcher unchanged, if the grammar rejects them.
    @discardableResult
    public mutating func accept(bytes: some Sequence<UInt8>) -> Bool {
        guard !isTerminated else { return false }
        var store = PersistentFrames()
        var scratch = StepScratch<StackFrame?>()
        var current = positions
        var next: [MatchPosition<StackFrame?>] = []
        var ended = canEnd
        for byte in bytes {
            next.removeAll(keepingCapacity: true)
            ended = current.withUnsafeBufferPointer {
                grammar.automaton.step($0, byte: byte, store: &store, into: &next, scratch: &scratch)
            }
            swap(&current, &next)
            if current.isEmpty && !ended { return false }
        }
        positions = current
        canEnd = ended
        return true
    }

    /// Sets `mask` to the tokens allowed next (end-of-sequence ids when the grammar can end).
    /// `mask.count` must cover the vocabulary.
    ///
    /// The cached part is a union of precomputed per-state masks; only tokens that leave a rule
    /// mid-token are checked against the stack, grouped by the byte after the rule's end. Where
    /// that would walk more than `CompiledGrammar.directExitWork` trie nodes (20,000 by default),
    /// the tokens are read into the return state once and the result kept in the compiled grammar:
    /// the first such mask (inside a JSON escape of a `maxLength` string) took 2.4 ms on Qwen2.5's
    /// vocabulary, later ones reuse it.
    public func fillMask(_ mask: inout TokenMask) {
        precondition(mask.count >= grammar.vocabulary.count, "the mask must cover the vocabulary")
        mask.removeAll()
        guard !isTerminated else { return }
        // The cached part: every position's accepted tokens.
        var leaving: [(state: Int32, mask: StateMask, frame: StackFrame)] = []
        for position in positions {
            guard let stateMask = grammar.masks[Int(position.state)] else { continue }
            Self.add(stateMask.accepted, to: &mask)
            if stateMask.hasExits, let frame = position.frame { leaving.append((position.state, stateMask, frame)) }
        }
        if !leaving.isEmpty {
            var exits = ExitWalk(grammar)
            for (state, stateMask, frame) in leaving {
                // Where the parse continues once this position's rule ends.
                let continuation = exits.continuation(returningInto: frame)
                if exits.work(stateMask, continuation) <= grammar.directExitWork {
                    exits.add(stateMask, continuation, to: &mask)
                } else {
                    // Many tokens leave the rule here: read them into the return state once, keep
                    // that mask, and check only what leaves the return state's rule.
                    let combined = grammar.continuationMask(state, returningTo: frame.state)
                    Self.add(combined.accepted, to: &mask)
                    if combined.hasExits, let below = frame.parent {
                        exits.add(combined, exits.continuation(returningInto: below), to: &mask)
                    }
                }
            }
        }
        if canEnd {
            for id in grammar.vocabulary.endOfSequenceIDs { mask.allow(id) }
        }
    }

    private static func add(_ accepted: StateMask.Accepted, to mask: inout TokenMask) {
        switch accepted {
        case .ids(let ids): for id in ids { mask.allow(id) }
        case .bitset(let words): words.withUnsafeBufferPointer { mask.formUnion($0) }
        }
    }
}

/// The part of `GrammarMatcher.fillMask` that checks tokens leaving a rule against the stack:
/// what follows the rule's end, and a trie walk from there below each exit.
private struct ExitWalk: ~Copyable {
    let grammar: CompiledGrammar
    private var walk: TrieWalk
    private var store = PersistentFrames()
    private var scratch = StepScratch<StackFrame?>()
    private var afterByte: [MatchPosition<StackFrame?>] = []

    init(_ grammar: CompiledGrammar) {
        self.grammar = grammar
        walk = TrieWalk(automaton: grammar.automaton)
    }

    /// The positions once the rule returns into `frame`, and the bytes they read.
    mutating func continuation(returningInto frame: StackFrame) -> (positions: [MatchPosition<StackFrame?>], readable: ByteSet) {
        var positions: [MatchPosition<StackFrame?>] = []
        scratch.reset()
        _ = grammar.automaton.expand(
            MatchPosition(state: frame.state, frame: frame.parent), store: &store, into: &positions, scratch: &scratch)
        var readable = ByteSet()
        for p in positions { readable = readable.union(grammar.automaton.firstBytes[Int(p.state)]) }
        return (positions, readable)
    }

    /// The trie nodes below `stateMask`'s exits that a walk from `continuation` could visit.
    func work(_ stateMask: StateMask, _ continuation: (positions: [MatchPosition<StackFrame?>], readable: ByteSet)) -> Int {
        let nodes = grammar.tries[stateMask.trie].nodes
        var total = 0
        for g in stateMask.exitBytes.indices where continuation.readable.contains(stateMask.exitBytes[g]) {
            for node in stateMask.exitNodes[Int(stateMask.exitStarts[g])..<Int(stateMask.exitStarts[g + 1])] {
                total += Int(nodes[Int(node)].end - node)
            }
        }
        return total
    }

    /// Allows the tokens below `stateMask`'s exits that `continuation` reads to their end.
    mutating func add(
        _ stateMask: StateMask, _ continuation: (positions: [MatchPosition<StackFrame?>], readable: ByteSet),
        to mask: inout TokenMask
    ) {
        let automaton = grammar.automaton
        let trie = grammar.tries[stateMask.trie]
        for g in stateMask.exitBytes.indices where continuation.readable.contains(stateMask.exitBytes[g]) {
            afterByte.removeAll(keepingCapacity: true)
            let ended = continuation.positions.withUnsafeBufferPointer {
                automaton.step($0, byte: stateMask.exitBytes[g], store: &store, into: &afterByte, scratch: &scratch)
            }
            guard !afterByte.isEmpty || ended else { continue }
            walk.reset()
            let start = afterByte.map { MatchPosition(state: $0.state, frame: walk.register($0.frame)) }
            for node in stateMask.exitNodes[Int(stateMask.exitStarts[g])..<Int(stateMask.exitStarts[g + 1])] {
                let n = trie.nodes[Int(node)]
                for id in trie.tokenIDs[Int(n.tokenStart)..<Int(n.tokenEnd)] { mask.allow(id) }
                guard !start.isEmpty, n.end > node + 1 else { continue }
                _ = walk.walk(trie, below: node, from: start, recordExits: false)
                for k in 0..<walk.acceptedCount {
                    let a = trie.nodes[Int(walk.acceptedNodes[k])]
                    for id in trie.tokenIDs[Int(a.tokenStart)..<Int(a.tokenEnd)] { mask.allow(id) }
                }
            }
        }
    }
}
