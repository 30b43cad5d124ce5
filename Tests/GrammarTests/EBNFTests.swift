import Grammar
import Testing

@Suite struct EBNFTests {
    @Test func literalsDecodeEveryEscape() throws {
        let g = try Grammar.ebnf(#"root ::= "a\n\t\r\\\"\x41\u00e9\U0001F600\/""#)
        #expect(try g.accepts("a\n\t\r\\\"Aé😀/"))
        #expect(try !g.accepts("a\n\t\r\\\"Aé😀"))
    }

    @Test func characterClassesTakeRangesNegationAndEscapes() throws {
        let g = try Grammar.ebnf(#"root ::= [a-cx-z0-9\-]+ [^a-c\n] [\x41-\x43]"#)
        #expect(try g.accepts("ax9-dA"))
        #expect(try g.accepts("zz中C"))
        #expect(try !g.accepts("ad-dA"))
        #expect(try !g.accepts("a\nA"))
        #expect(try !g.accepts("abD"))
    }

    @Test func dotAndNegatedEmptyClassMatchAnyCharacterNewlineIncluded() throws {
        let g = try Grammar.ebnf(#"root ::= . [^]"#)
        #expect(try g.accepts("\n😀"))
        #expect(try g.accepts("é\n"))
        #expect(try !g.accepts("a"))
    }

    @Test func repetitionBoundsAreExact() throws {
        let g = try Grammar.ebnf(#"root ::= "a"{2} "b"{1,} "c"{0,2} "d"{,1} "e"? "f"* "g"+"#)
        #expect(try g.accepts("aabg"))
        #expect(try g.accepts("aabbbccdeffgg"))
        #expect(try !g.accepts("abg"))
        #expect(try !g.accepts("aaabg"))
        #expect(try !g.accepts("aabcccg"))
        #expect(try !g.accepts("aabddg"))
        #expect(try !g.accepts("aab"))
    }

    @Test func rulesSpanLinesAndCarryCommentsDashesAndUnderscores() throws {
        let g = try Grammar.ebnf(
            """
            # a comment
            root ::= first-part
                     ( "," second_part )*   # trailing comment
            first-part ::= "x" |
                           "y"
            second_part ::= ( ) "z"
            """)
        #expect(try g.accepts("x,z,z"))
        #expect(try g.accepts("y"))
        #expect(try !g.accepts("x,y"))
    }

    @Test func recursionThroughRulesNests() throws {
        let g = try Grammar.ebnf(#"root ::= "(" root ")" | "x""#)
        #expect(try g.accepts("((x))"))
        #expect(try !g.accepts("((x)"))
    }

    @Test func anotherRuleCanBeTheRoot() throws {
        let g = try Grammar.ebnf(#"start ::= "s" other   other ::= "o""#, root: "start")
        #expect(try g.accepts("so"))
    }

    @Test(arguments: [
        (#"root ::= a"#, 1, 10, "used but not defined"),
        (#"start ::= "x""#, 1, 1, "no rule named \"root\""),
        ("root ::= (\"a\"\n  | \"b\"", 1, 10, "unbalanced '('"),
        (#"root ::= "a")"#, 1, 13, "unbalanced ')'"),
        (#"root ::= [a-z"#, 1, 10, "unbalanced '['"),
        (#"root ::= "a"{3,2}"#, 1, 13, "upper bound is below the lower"),
        ("root ::= \"a\"\nroot ::= \"b\"", 2, 1, "defined twice"),
        ("root ::= x\nx ::= x \"a\" | \"b\"", 2, 1, "left recursion"),
        ("root ::= \"a\"\n  \"b\" \"\\q\"", 2, 8, "unknown escape"),
        (#"root ::= <[100]>"#, 1, 10, "token references"),
        (#"root ::= "abc"#, 1, 10, "unterminated string"),
        (#"root ::= [z-a]"#, 1, 11, "backwards"),
        (#"root ::= "a"**"#, 1, 14, "two repetition operators"),
        (#"root[max_tokens=3] ::= "a""#, 1, 5, "rule options"),
    ])
    func malformedGrammarsAreRefusedWithLineAndColumn(_ source: String, _ line: Int, _ column: Int, _ reason: String) {
        #expect {
            try Grammar.ebnf(source)
        } throws: { error in
            guard case .ebnf(let l, let c, let r) = error as? GrammarError else { return false }
            return l == line && c == column && r.contains(reason)
        }
    }

    @Test func ruleThatCanNeverFinishIsRefused() {
        #expect(throws: GrammarError.self) { try Grammar.ebnf(#"root ::= "a" root"#) }
    }
}
