import Grammar
import LightServeCore

/// A small vocabulary shaped like a byte-level BPE one: every single byte (so any output can be
/// spelled), multi-byte tokens that cross JSON punctuation and keys, tokens that split UTF-8
/// characters, a user-defined `<tool_call>` token, control tokens and an end-of-sequence token,
/// two ids with the same bytes, and an empty one.
enum TestVocabulary {
    static let endOfSequence: Int32 = 256
    static let endOfText: Int32 = 257
    static let toolCall: Int32 = 258
    static let empty: Int32 = 259

    static let multiByte: [String] = [
        "{\"", "\":", "\",", "\"}", " \"", "\": \"", "\": ", "\", \"", "\"]", "[\"", "\"\n", "\",\n", "{\n",
        "\n}", "}\n", "},", "}]", "]}", "[{", "{}", "[]", "\n  ", "\n    ", "  ", "    ", ", ", ": ", "\":\"",
        "true", "false", "null", "tr", "ue", "fal", "se", "nu", "ll", "name", "age", "id", "type", "items",
        "tags", "value", "kind", "count", "\"name", "\"age", "\"id", "\"type", "\"tags", "\"value", "\"name\":",
        "name\"", "age\":", "\"Alice\"", "Alice", "Bob", " Bob", "hello", " world", "Hello", "abc", "xyz",
        "foo", "bar", " foo", "12", "123", "0.", ".5", "-1", "1e", "e+", "E-", "00", "42", "3.14", "-0",
        "\\n", "\\\"", "\\u", "\\u00", "00e9", "\\\\", "\\t", "é", "ü", "中", "文", "😀", "ñ", "Ω",
        "\"é", "é\"", "中文", "\"中", "café", "\"😀\"", "ab", "ba", "aab", "bba", "cd", "\"a", "a\"",
        "(", ")", "()", "((", "))", "(a", "a)", "+", "*", "1+", "+1", "2*", "x", "y", "xy", "yx",
        "<tool_call>", "</tool_call>", "</", "think", "</think>", "<think>", "\n\n", "yes", "no", " yes",
        "2024", "-01", "-12", "T10", ":30", ":00", "Z", "+02", "@", "example", ".com", "user", "192", ".168",
        ".1", "255", "-4", "a1b2", "c3d4", "0000", "-0000-", "ffff", "A-Z", "ok", "OK", "DONE", "done", " ",
        // Plain text of 5 to 20 characters (slices of 4, 8 and 16), and longer.
        "hello world", " international", "abcdefghijklmnop", "abcdefghijklmnopq", "                ",
        "                    ", "Lorem ipsum dolor sit amet", "ééééé", "中文中文中文中文中文",
    ]

    /// Bytes that split UTF-8 characters: a lead byte with part of its continuation, and
    /// continuations alone (as byte-level vocabularies have).
    static let splitUTF8: [[UInt8]] = [
        [0xC3], [0xA9], [0xE4, 0xB8], [0xAD], [0xF0, 0x9F], [0x98, 0x80], [0xE6, 0x96], [0x87], [0xC3, 0xA9, 0x22],
        [0x9F, 0x98, 0x80],
    ]

    static var tokens: [[UInt8]] {
        var out = (0..<256).map { [UInt8($0)] }
        out.append(Array("<|im_end|>".utf8))
        out.append(Array("<|endoftext|>".utf8))
        out.append(Array("<tool_call>".utf8))
        out.append([])
        out += multiByte.map { Array($0.utf8) }
        out += splitUTF8
        out.append(Array("name".utf8))  // a second id with the bytes of "name"
        return out
    }

    static let vocabulary = TokenVocabulary(
        tokens: tokens, controlIDs: [endOfSequence, endOfText], endOfSequenceIDs: [endOfSequence])

    static let compiler = GrammarCompiler(vocabulary: vocabulary)
}

extension GrammarMatcher {
    /// The allowed tokens found the slow way: try every token on a copy.
    func bruteForceMask() -> TokenMask {
        var mask = TokenMask(count: grammar.vocabulary.count)
        for id in 0..<Int32(grammar.vocabulary.count) {
            var copy = self
            if copy.accept(id) { mask.allow(id) }
        }
        return mask
    }

    /// Whether the whole text is accepted and the grammar can end after it.
    func matches(_ text: String) -> Bool {
        var copy = self
        return copy.accept(bytes: Array(text.utf8)) && copy.canEnd
    }
}

/// Random walks through a grammar that compare the fast mask with the brute-force one at every
/// step and collect the outputs that end where the grammar may end. Late in a walk, tokens that
/// close things (`"`, `}`, `]`, `)`) are preferred, so most walks finish.
struct RandomWalker {
    let grammar: CompiledGrammar
    var random: SplitMix64
    /// Compare with the brute-force mask at every step (off for soundness-only walks).
    var checkMasks = true

    static let closers: Set<UInt8> = Set("\"}])>.".utf8)

    /// Runs one walk of at most `maxTokens`; returns the output if it ended by choosing
    /// end-of-sequence, and the mask mismatches seen.
    mutating func walk(maxTokens: Int) -> (output: [UInt8]?, mismatches: [String]) {
        var matcher = grammar.makeMatcher()
        var output: [UInt8] = []
        var mask = TokenMask(count: grammar.vocabulary.count)
        for step in 0..<maxTokens {
            matcher.fillMask(&mask)
            if checkMasks {
                let expected = matcher.bruteForceMask()
                if mask != expected {
                    let extra = mask.allowedIDs.filter { !expected.isAllowed($0) }
                    let missing = expected.allowedIDs.filter { !mask.isAllowed($0) }
                    return (nil, ["after \(text(output)): extra \(describe(extra)), missing \(describe(missing))"])
                }
            }
            let allowed = mask.allowedIDs
            guard !allowed.isEmpty else { return (nil, ["no token allowed after \(text(output))"]) }
            let late = step > maxTokens / 3
            let ends = allowed.filter { grammar.vocabulary.isEndOfSequence($0) }
            if !ends.isEmpty, Int.random(in: 0..<(late ? 2 : 5), using: &random) == 0 || allowed.count == ends.count {
                return (output, [])
            }
            let others = allowed.filter { !grammar.vocabulary.isEndOfSequence($0) }
            var pool = others
            if late, Int.random(in: 0..<10, using: &random) < 8 {
                let closing = others.filter {
                    let b = grammar.vocabulary.bytes(of: $0)
                    return b.count == 1 && Self.closers.contains(b.first!)
                }
                let single = others.filter { grammar.vocabulary.bytes(of: $0).count == 1 }
                pool = !closing.isEmpty ? closing : (!single.isEmpty ? single : others)
            }
            let pick = pool.randomElement(using: &random)!
            guard matcher.accept(pick) else { return (nil, ["allowed token \(pick) refused after \(text(output))"]) }
            output += grammar.vocabulary.bytes(of: pick)
        }
        return (nil, [])
    }

    /// Runs `count` walks; returns the finished outputs and any mismatch.
    mutating func walks(_ count: Int, maxTokens: Int) -> (outputs: [[UInt8]], mismatches: [String]) {
        var outputs: [[UInt8]] = []
        for _ in 0..<count {
            let (output, mismatches) = walk(maxTokens: maxTokens)
            if !mismatches.isEmpty { return (outputs, mismatches) }
            if let output { outputs.append(output) }
        }
        return (outputs, [])
    }

    private func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).debugDescription
    }

    private func describe(_ ids: [Int32]) -> String {
        ids.prefix(8).map { "\($0) \(text(Array(grammar.vocabulary.bytes(of: $0))))" }.joined(separator: ", ")
    }
}

extension Grammar {
    /// Whether the whole text is in the grammar's language (compiled against the test vocabulary).
    func accepts(_ text: String) throws -> Bool {
        try TestVocabulary.compiler.compile(self).makeMatcher().matches(text)
    }
}
