import Grammar
import Testing

/// The precomputed, cached mask must equal trying every token on a copy of the matcher, at every
/// step of random walks through grammars with rules, recursion, repetition and UTF-8.
@Suite struct MaskExactnessTests {
    static let grammars: [(String, String)] = [
        ("arithmetic", #"""
        root ::= expr
        expr ::= term (("+" | "*") term)*
        term ::= [0-9]+ | "(" expr ")" | "x" | "y"
        """#),
        ("nested repetition", #"""
        root ::= (item ("," ws item){0,3})? "."
        item ::= [a-c]{1,3} ("(" [xy]* ")")?
        ws ::= " "?
        """#),
        ("utf-8 and any character", #"""
        root ::= "\"" char* "\"" 
        char ::= [^"\\] | "\\" ["\\nt]
        """#),
        ("shared rules across boundaries", #"""
        root ::= "{" ws pair (ws "," ws pair)* ws "}"
        pair ::= string ws ":" ws value
        value ::= string | number | "true" | "false" | "null" | root
        string ::= "\"" [a-zé中😀]* "\""
        number ::= "-"? [0-9]+ ("." [0-9]+)?
        ws ::= [ \n]{0,3}
        """#),
        ("tool call with trailing text", #"""
        root ::= "<tool_call>" "\n"? call "</tool_call>" (" " [a-z]+)?
        call ::= "{" "\"name\"" ":" " "? "\"" [a-z]+ "\"" "}"
        """#),
    ]

    @Test(arguments: grammars.map(\.0))
    func cachedMaskEqualsBruteForceAlongRandomWalks(_ name: String) throws {
        let source = Self.grammars.first { $0.0 == name }!.1
        let compiled = try TestVocabulary.compiler.compile(Grammar.ebnf(source))
        var walker = RandomWalker(grammar: compiled, random: SeededRandom(seed: 7))
        var ended = 0
        for _ in 0..<60 {
            let (output, mismatches) = walker.walk(maxTokens: 40)
            #expect(mismatches.isEmpty, "\(mismatches)")
            if !mismatches.isEmpty { return }
            if let output {
                ended += 1
                #expect(compiled.makeMatcher().matches(String(decoding: output, as: UTF8.self)))
            }
        }
        #expect(ended > 0)
    }
}
