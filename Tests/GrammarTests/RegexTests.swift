import Foundation
import Grammar
import LightServeCore
import Testing

@Suite struct RegexTests {
    @Test func matchesTheWholeOutput() throws {
        let g = try Grammar.regex("ab+")
        #expect(try g.accepts("abbb"))
        #expect(try !g.accepts("xabb"))
        #expect(try !g.accepts("abbx"))
    }

    @Test func escapesAndShorthandClassesFollowECMAScript() throws {
        let g = try Grammar.regex(#"\d\w\s\.\x41\u00e9\u{1F600}\t"#)
        #expect(try g.accepts("7_ .Aé😀\t"))
        #expect(try g.accepts("0Z\u{00A0}.Aé😀\t"))
        #expect(try !g.accepts("٣_ .Aé😀\t"))  // \d is ASCII only
        #expect(try !g.accepts("7é .Aé😀\t"))  // so is \w
        let negated = try Grammar.regex(#"\D\W\S"#)
        #expect(try negated.accepts("a-x"))
        #expect(try !negated.accepts("1-x"))
        #expect(try !negated.accepts("a_x"))
        #expect(try !negated.accepts("a- "))
    }

    @Test func dotIsAnyCharacterButNewline() throws {
        let g = try Grammar.regex("a.c")
        #expect(try g.accepts("a\rc"))
        #expect(try g.accepts("a中c"))
        #expect(try !g.accepts("a\nc"))
    }

    @Test func classesTakeRangesNegationShorthandsAndLiteralDashes() throws {
        let g = try Grammar.regex(#"[a-c\d-][^a-z\n][\b]"#)
        #expect(try g.accepts("b-\u{08}"))
        #expect(try g.accepts("-中\u{08}"))
        #expect(try g.accepts("5Q\u{08}"))
        #expect(try !g.accepts("dQ\u{08}"))
        #expect(try !g.accepts("aq\u{08}"))
        #expect(try Grammar.regex("[^]").accepts("\n"))
        #expect(throws: GrammarError.self) { try Grammar.regex("[]").accepts("") }
    }

    @Test func groupsOfEveryKindAreGroups() throws {
        let g = try Grammar.regex(#"(a|b)(?:c|d)(?<n>e)(?P<m>f)"#)
        #expect(try g.accepts("bdef"))
        #expect(try !g.accepts("abef"))
    }

    @Test func quantifiersAndTheirLazyFormsMatchTheSameLanguage() throws {
        for (greedy, lazy) in [("a*", "a*?"), ("a+", "a+?"), ("a?", "a??"), ("a{2,3}", "a{2,3}?"), ("a{2,}", "a{2,}?")] {
            for n in 0..<5 {
                let text = String(repeating: "a", count: n)
                #expect(try Grammar.regex(greedy).accepts(text) == Grammar.regex(lazy).accepts(text))
            }
        }
        let bounds = try Grammar.regex("x{2}y{1,}z{0,2}w{,1}")
        #expect(try bounds.accepts("xxyzzw"))
        #expect(try !bounds.accepts("xxyzzz"))
    }

    @Test func anchorsAtTheEndsAndBracesThatRepeatNothingAreLiterals() throws {
        #expect(try Grammar.regex("^ab$").accepts("ab"))
        #expect(try Grammar.regex("^a|b$").accepts("b"))
        #expect(try Grammar.regex("a{x}").accepts("a{x}"))
        #expect(try Grammar.regex("a{,}").accepts("a{,}"))
    }

    @Test(arguments: [
        (#"(a)\1"#, 3, "backreferences"),
        (#"a(?=b)"#, 1, "lookahead"),
        (#"(?<!a)b"#, 0, "lookbehind"),
        (#"\bword"#, 0, "word boundaries"),
        (#"(?i)abc"#, 0, "inline flags"),
        (#"a*+"#, 2, "possessive"),
        (#"*a"#, 0, "nothing to repeat"),
        (#"(ab"#, 0, "unbalanced '('"),
        (#"ab)"#, 2, "unbalanced ')'"),
        (#"a$b"#, 1, "anchor $"),
        (#"a^b"#, 1, "anchor ^"),
        (#"\p{L}"#, 0, "Unicode property"),
        (#"[[:alpha:]]"#, 1, "POSIX"),
        (#"a{3,2}"#, 1, "upper bound is below"),
        (#"é(?>a)"#, 1, "atomic"),
    ])
    func unsupportedConstructsAreRefusedWithTheirOffset(_ pattern: String, _ offset: Int, _ reason: String) {
        #expect {
            try Grammar.regex(pattern)
        } throws: { error in
            guard case .regex(let o, let r) = error as? GrammarError else { return false }
            return o == offset && r.contains(reason)
        }
    }

    /// Outputs of random walks fully match the pattern under Foundation's regex engine (patterns
    /// whose constructs mean the same in both; `.` may match line breaks there, a superset).
    @Test(arguments: [
        #"[a-c]+(x|yz)*\d{2,4}"#, #"(?:ab|a)*b?é+"#, #"[^"\\]{0,6}"#, #"(\w+ )+\.?"#, #"[中文😀]{1,3}-?"#,
        #"(a|bc|[0-4]{2})+(\.(x|y))?"#, #".{2,5}"#,
    ])
    func randomWalkOutputsMatchFoundationRegex(_ pattern: String) throws {
        let compiled = try TestVocabulary.compiler.compile(Grammar.regex(pattern))
        let reference = try NSRegularExpression(pattern: "^(?:\(pattern))$", options: [.dotMatchesLineSeparators])
        var walker = RandomWalker(grammar: compiled, random: SplitMix64(state: 11))
        walker.checkMasks = false
        let (outputs, _) = walker.walks(60, maxTokens: 30)
        #expect(outputs.count > 10)
        for output in outputs {
            let text = String(decoding: output, as: UTF8.self)
            let range = NSRange(text.startIndex..., in: text)
            #expect(reference.firstMatch(in: text, range: range) != nil, "\(text.debugDescription) does not match \(pattern)")
        }
    }
}
