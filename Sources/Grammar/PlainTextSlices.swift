import LightServeCore

/// Shortcuts for states inside JSON-string-like text (the slicer of llguidance, our own
/// construction). Most of a vocabulary is "plain" text: valid UTF-8 of characters a JSON string
/// holds unescaped (not `"`, `\` or U+0000–U+001F). A state that reads every plain string of up to
/// `r` characters (the inside of a string, with `r` left under any `maxLength`) accepts all plain
/// tokens of at most `r` characters without looking at them; only the other tokens are walked, in
/// a trie of their own. If it also reads no plain string of `r + 1` characters (and cannot end
/// inside plain text), no plain token needs walking at all.
///
/// On Qwen2.5's vocabulary 145,034 of 151,645 grammar tokens are plain with at most 16 characters
/// and 6,192 are not plain, so a walk inside a string covers 7k tokens instead of all of them.
struct PlainTextSlices: Sendable {
    /// Runs are measured up to this many characters.
    static let maxRun = 16
    /// The slice sizes that have a remainder trie.
    static let thresholds = [4, 8, 16]

    /// `upTo[r - 1]`: the plain tokens of 1 to `r` characters, in `TokenMask`'s layout.
    let upTo: [[UInt64]]
    /// The grammar tokens that are not plain.
    let nonPlain: TokenTrie
    /// Per threshold: every grammar token but the plain ones of at most that many characters.
    let remainders: [TokenTrie]

    init(vocabulary: TokenVocabulary, trie: TokenTrie) {
        let characters = trie.tokenIDs.map { Self.plainCharacterCount(vocabulary.bytes(of: $0)) }
        var upTo: [[UInt64]] = []
        var words = [UInt64](repeating: 0, count: (vocabulary.count + 63) / 64)
        for r in 1...Self.maxRun {
            for (id, count) in zip(trie.tokenIDs, characters) where count == r {
                words[Int(id) >> 6] |= 1 << UInt64(id & 63)
            }
            upTo.append(words)
        }
        self.upTo = upTo
        nonPlain = TokenTrie(sortedIDs: zip(trie.tokenIDs, characters).filter { $0.1 == 0 }.map(\.0), vocabulary)
        remainders = Self.thresholds.map { threshold in
            TokenTrie(
                sortedIDs: zip(trie.tokenIDs, characters).filter { $0.1 == 0 || $0.1 > threshold }.map(\.0), vocabulary)
        }
    }

    /// The number of characters if `bytes` is plain text, else 0.
    static func plainCharacterCount(_ bytes: ArraySlice<UInt8>) -> Int {
        guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
        var count = 0
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar == "\"" || scalar == "\\" { return 0 }
            count += 1
        }
        return count
    }
}

extension GrammarAutomaton {
    /// How `state` (with its rule at the bottom) reads plain text: `run` is the largest
    /// `n <= PlainTextSlices.maxRun` such that every plain string of at most `n` characters can be
    /// read (each leaves a position, or ends the rule exactly at its end); `exact` says that no
    /// plain string of `run + 1` characters can be read and the rule cannot end anywhere inside
    /// plain text of that length, so the plain tokens it accepts are exactly those of at most
    /// `run` characters. Calls met after a character are allowed where the called rules cannot
    /// start with plain text or match nothing (a JSON string's escape rule); any other call ends
    /// the analysis.
    func plainRun(from state: Int32, cache: inout [PlainReading?]) -> (run: Int, exact: Bool) {
        var level: Set<Int32> = [state]
        var sawFinal = false
        for n in 1...PlainTextSlices.maxRun {
            var next = Set<Int32>()
            var allRead = true
            var noneRead = true
            var stops = false
            for q in level {
                let reading = cache[Int(q)] ?? plainCharacters(from: q)
                cache[Int(q)] = reading
                if reading.sawCall { return (n - 1, false) }
                for t in reading.targets where !callsOnlyNonPlainRules(t) { return (n - 1, false) }
                sawFinal = sawFinal || reading.sawFinal
                allRead = allRead && reading.allRead
                noneRead = noneRead && reading.targets.isEmpty
                for e in reading.targets {
                    if states[Int(e)].flags & State.readsBytes != 0 {
                        next.insert(e)
                    } else {
                        stops = true
                    }
                }
            }
            if !allRead { return (n - 1, noneRead && !sawFinal) }
            if stops { return (n, false) }
            level = next
        }
        return (PlainTextSlices.maxRun, false)
    }

    /// Whether every rule `state` calls starts with a byte no plain character starts with, and
    /// cannot match the empty string (so it adds no way to read plain text or end there).
    private func callsOnlyNonPlainRules(_ state: Int32) -> Bool {
        let info = states[Int(state)]
        for call in calls[Int(info.callStart)..<Int(info.callEnd)] {
            let start = states[Int(ruleStarts[Int(call.rule)])]
            let firstBytes = self.firstBytes[Int(ruleStarts[Int(call.rule)])]
            guard start.flags & State.isFinal == 0, start.callStart == start.callEnd,
                firstBytes.intersection(Self.plainLeadBytes).isEmpty
            else { return false }
        }
        return true
    }

    /// The bytes a plain character can start with.
    static let plainLeadBytes = ByteSet(
        (UInt8(0x20)...0x7F).filter { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") } + Array(0xC2...0xF4))

    /// Reading one plain character from `q`: the states it can end in, whether every plain
    /// character can be read, and whether a final state, or a state that calls a rule before the
    /// character is complete, is met on the way (a call stops the analysis; a final state means the
    /// rule may end inside plain text).
    private func plainCharacters(from q: Int32) -> PlainReading {
        let continuation: ClosedRange<UInt8> = 0x80...0xBF
        // Each UTF-8 shape of a plain character: the lead bytes, then each continuation's range.
        let shapes: [(lead: [UInt8], rest: [ClosedRange<UInt8>])] = [
            ((UInt8(0x20)...0x7F).filter { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }, []),
            (Array(0xC2...0xDF), [continuation]),
            ([0xE0], [0xA0...0xBF, continuation]),
            (Array(0xE1...0xEC), [continuation, continuation]),
            ([0xED], [0x80...0x9F, continuation]),
            (Array(0xEE...0xEF), [continuation, continuation]),
            ([0xF0], [0x90...0xBF, continuation, continuation]),
            (Array(0xF1...0xF3), [continuation, continuation, continuation]),
            ([0xF4], [0x80...0x8F, continuation, continuation]),
        ]
        var targets = Set<Int32>()
        var allRead = states[Int(q)].flags & State.readsBytes != 0
        var sawFinal = false
        var sawCall = false
        for shape in shapes {
            var current: Set<Int32> = [q]
            let ranges = [shape.lead] + shape.rest.map { Array($0) }
            for (i, bytes) in ranges.enumerated() {
                let last = i == ranges.count - 1
                var stepped = Set<Int32>()
                for s in current {
                    for b in bytes {
                        let t = next(s, b)
                        guard t >= 0 else {
                            allRead = false
                            continue
                        }
                        let flags = states[Int(t)].flags
                        if flags & State.isFinal != 0 { sawFinal = true }
                        if !last && flags & State.callsNothing == 0 { sawCall = true }
                        if last {
                            stepped.insert(t)
                        } else if flags & State.readsBytes != 0 {
                            stepped.insert(t)
                        } else {
                            allRead = false
                        }
                    }
                }
                current = stepped
            }
            targets.formUnion(current)
        }
        return PlainReading(targets: targets, allRead: allRead, sawFinal: sawFinal, sawCall: sawCall)
    }
}

/// What reading one plain character from a state does (`GrammarAutomaton.plainRun`), kept per
/// state while a grammar compiles.
struct PlainReading {
    var targets: Set<Int32>
    var allRead: Bool
    var sawFinal: Bool
    var sawCall: Bool
}
