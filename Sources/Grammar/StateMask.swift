import LightServeCore

/// What one automaton state allows, computed once per vocabulary with the state's rule at the
/// bottom of the stack (xgrammar's adaptive token mask, our own layout):
///
/// - `accepted`: tokens whose bytes can all be read inside the rule (the rule may end exactly at
///   the token's end). They are allowed whatever lies below the rule.
/// - exits: trie nodes where the rule can end in the middle of a token. The tokens below such a
///   node depend on the stack, so the matcher checks them against the real continuation; they are
///   grouped by the byte that follows the rule's end, so a continuation that cannot read that byte
///   skips the whole group with one bit test.
///
/// Every other token is rejected in this state.
struct StateMask: Sendable {
    enum Accepted: Sendable {
        /// Sorted token ids (few tokens).
        case ids([Int32])
        /// A bitset over the vocabulary in `TokenMask`'s layout (many tokens).
        case bitset([UInt64])
    }

    let accepted: Accepted
    /// The trie the exit nodes belong to: 0 for the whole vocabulary's, 1 for the non-plain
    /// tokens', `2 + i` for `PlainTextSlices.remainders[i]` (the state accepted a slice of plain
    /// tokens outright; see `CompiledGrammar.tries`).
    let trie: Int
    /// The bytes that can follow an exit, each with its trie nodes (the exit nodes' children on
    /// that byte): `exitNodes[exitStarts[i]..<exitStarts[i + 1]]` for `exitBytes[i]`.
    let exitBytes: [UInt8]
    let exitStarts: [Int32]
    let exitNodes: [Int32]

    var hasExits: Bool { !exitBytes.isEmpty }

    /// Approximate bytes held.
    var memorySize: Int {
        let acceptedSize =
            switch accepted {
            case .ids(let ids): ids.count * 4
            case .bitset(let words): words.count * 8
            }
        return acceptedSize + exitBytes.count + exitStarts.count * 4 + exitNodes.count * 4 + 64
    }

    /// Precomputes the mask of `state` by walking the trie with the state's rule at the bottom;
    /// exits are recorded only if `withExits` (the rule is called from somewhere). A state that
    /// reads every short plain string takes the matching slice whole and walks only the rest.
    /// Returns the mask with the number of trie nodes visited.
    static func compute(
        state: Int32, tries: [TokenTrie], slices: PlainTextSlices, vocabularySize: Int, withExits: Bool,
        walk: inout TrieWalk, plainReadings: inout [PlainReading?]
    ) -> (StateMask, visited: Int) {
        let (run, exact) = walk.automaton.plainRun(from: state, cache: &plainReadings)
        var slice: [UInt64]? = nil
        var trieIndex = 0
        if exact {
            slice = run > 0 ? slices.upTo[run - 1] : nil
            trieIndex = 1
        } else if let i = PlainTextSlices.thresholds.lastIndex(where: { $0 <= run }) {
            slice = slices.upTo[PlainTextSlices.thresholds[i] - 1]
            trieIndex = 2 + i
        }
        walk.reset()
        let visited = walk.walk(
            tries[trieIndex], below: 0, from: [MatchPosition(state: state, frame: -1)], recordExits: withExits)
        return (assemble(walk, tries[trieIndex], trieIndex: trieIndex, slice: slice, vocabularySize: vocabularySize), visited)
    }

    /// The mask of `state` read with a frame below it that returns to `returnState`, and the bottom
    /// below that: tokens that can be read before `returnState`'s rule ends (or that end exactly
    /// there), and exits where it ends mid-token. The matcher computes it on first need for a
    /// position whose tokens leave its rule into large parts of the trie (inside a JSON escape
    /// that a counted string called), so later masks there take no walk.
    static func compute(
        state: Int32, returningTo returnState: Int32, trie: TokenTrie, vocabularySize: Int, walk: inout TrieWalk
    ) -> StateMask {
        walk.reset()
        let frame = walk.push(returnState: returnState)
        _ = walk.walk(trie, below: 0, from: [MatchPosition(state: state, frame: frame)], recordExits: true)
        return assemble(walk, trie, trieIndex: 0, slice: nil, vocabularySize: vocabularySize)
    }

    /// The mask from a finished walk: its accepted nodes' tokens (with `slice` added), its exits
    /// grouped by the byte that follows.
    private static func assemble(
        _ walk: borrowing TrieWalk, _ trie: TokenTrie, trieIndex: Int, slice: [UInt64]?, vocabularySize: Int
    ) -> StateMask {
        let acceptedNodes = UnsafeBufferPointer(start: walk.acceptedNodes, count: walk.acceptedCount)
        let exitNodes = walk.exitNodes
        let accepted: Accepted = trie.nodes.withUnsafeBufferPointer { nodes in
            trie.tokenIDs.withUnsafeBufferPointer { tokenIDs in
                var tokenCount = 0
                for n in acceptedNodes { tokenCount += Int(nodes[Int(n)].tokenEnd - nodes[Int(n)].tokenStart) }
                if slice != nil || tokenCount > vocabularySize / 32 {
                    var words = slice ?? [UInt64](repeating: 0, count: (vocabularySize + 63) / 64)
                    words.withUnsafeMutableBufferPointer { w in
                        for n in acceptedNodes {
                            for k in Int(nodes[Int(n)].tokenStart)..<Int(nodes[Int(n)].tokenEnd) {
                                let id = tokenIDs[k]
                                w[Int(id) >> 6] |= 1 << UInt64(id & 63)
                            }
                        }
                    }
                    return .bitset(words)
                }
                var ids: [Int32] = []
                ids.reserveCapacity(tokenCount)
                for n in acceptedNodes {
                    for k in Int(nodes[Int(n)].tokenStart)..<Int(nodes[Int(n)].tokenEnd) { ids.append(tokenIDs[k]) }
                }
                ids.sort()
                return .ids(ids)
            }
        }

        var byByte = [[Int32]](repeating: [], count: 256)
        for e in exitNodes {
            let end = trie.nodes[Int(e)].end
            var child = e + 1
            while child < end {
                byByte[Int(trie.nodes[Int(child)].byte)].append(child)
                child = trie.nodes[Int(child)].end
            }
        }
        var exitBytes: [UInt8] = []
        var exitStarts: [Int32] = [0]
        var grouped: [Int32] = []
        for b in 0..<256 where !byByte[b].isEmpty {
            exitBytes.append(UInt8(b))
            grouped.append(contentsOf: byByte[b])
            exitStarts.append(Int32(grouped.count))
        }
        return StateMask(accepted: accepted, trie: trieIndex, exitBytes: exitBytes, exitStarts: exitStarts, exitNodes: grouped)
    }
}
