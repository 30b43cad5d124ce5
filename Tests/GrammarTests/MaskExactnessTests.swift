@testable import Grammar
import LightServeCore
import Testing

/// The precomputed, cached mask must equal trying every token on a copy of the matcher, at every
/// step of random walks through grammars with rules, recursion, repetition, UTF-8, and the shared
/// JSON rules (strings with escapes and lengths, numbers, whitespace).
@Suite struct MaskExactnessTests {
    static let ebnf: [(String, String)] = [
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
        ("nullable rules in loops", #"""
        root ::= (a | b)* "!"
        a ::= "x"? "y"?
        b ::= "z" c
        c ::= "" | "c" c
        """#),
    ]

    static let regexes = [
        #"[a-c]+(x|yz)*\d{2,4}"#, #"(?:ab|a)*b?é+"#, #"[^"\\]{0,6}"#, #"(\w+\s)+\.?"#, #"[中文😀]{1,3}-?"#,
    ]

    static let schemas = [
        #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 6}, "age": {"type": "integer", "minimum": 0, "maximum": 120}, "tags": {"type": "array", "items": {"enum": ["a", "bc", "é"]}, "maxItems": 3}}, "required": ["name"]}"#,
        ##"{"$defs": {"node": {"type": "object", "properties": {"id": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["id"]}}, "$ref": "#/$defs/node"}"##,
        #"{"anyOf": [{"type": "number", "minimum": -3, "exclusiveMaximum": 5}, {"type": "string", "minLength": 2}, {"type": "null"}, {"type": "boolean"}]}"#,
        #"{"type": "object", "properties": {"kind": {"const": "x"}, "value": {}}, "additionalProperties": {"type": "integer"}}"#,
        #"{"type": "array", "prefixItems": [{"type": "string", "pattern": "^[a-c]+\\d?$"}, {"type": "string", "format": "date"}], "items": false, "minItems": 1}"#,
    ]

    /// Sends every check of tokens that leave a rule through a continuation mask.
    static let continuationCompiler = GrammarCompiler(
        vocabulary: TestVocabulary.vocabulary, cacheCapacity: 16, cacheBytes: 64 << 20, directExitWork: 0)

    private func exact(
        _ grammar: Grammar, seed: UInt64 = 7, walks: Int = 40, maxTokens: Int = 60,
        compiler: GrammarCompiler = TestVocabulary.compiler
    ) throws {
        let compiled = try compiler.compile(grammar)
        var walker = RandomWalker(grammar: compiled, random: SplitMix64(state: seed))
        let (outputs, mismatches) = walker.walks(walks, maxTokens: maxTokens)
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(!outputs.isEmpty, "no walk finished")
        for output in outputs {
            #expect(compiled.makeMatcher().matches(String(decoding: output, as: UTF8.self)))
        }
    }

    @Test(arguments: ebnf.map(\.0))
    func ebnfMasksEqualBruteForceAlongRandomWalks(_ name: String) throws {
        try exact(Grammar.ebnf(Self.ebnf.first { $0.0 == name }!.1))
    }

    @Test(arguments: regexes)
    func regexMasksEqualBruteForceAlongRandomWalks(_ pattern: String) throws {
        try exact(Grammar.regex(pattern))
    }

    @Test(arguments: schemas.indices)
    func jsonSchemaMasksEqualBruteForceAlongRandomWalks(_ index: Int) throws {
        try exact(Grammar.jsonSchema(JSON.parse(Self.schemas[index])), walks: 25, maxTokens: 80)
    }

    @Test(arguments: [0, 1, 3])
    func continuationMasksEqualBruteForceAlongRandomWalks(_ index: Int) throws {
        let schema = #"{"type": "object", "properties": {"s": {"type": "string", "maxLength": 5}, "t": {"type": "string"}}}"#
        let grammars = [
            try Grammar.jsonSchema(JSON.parse(schema)), try Grammar.jsonSchema(JSON.parse(Self.schemas[index])),
            try Grammar.ebnf(Self.ebnf[index].1),
        ]
        for (i, g) in grammars.enumerated() {
            try exact(g, seed: UInt64(i), walks: 20, maxTokens: 60, compiler: Self.continuationCompiler)
        }
    }

    @Test func anyJSONObjectMasksEqualBruteForceAlongRandomWalks() throws {
        try exact(Grammar.anyJSON, walks: 25, maxTokens: 80)
    }

    @Test func composedToolCallMasksEqualBruteForceAlongRandomWalks() throws {
        let arguments = try Grammar.jsonSchema(
            JSON.parse(#"{"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}"#))
        let call = Grammar.literal("<tool_call>\n") + arguments + Grammar.literal("\n</tool_call>")
        try exact(call.repeated(min: 1, max: 2) + Grammar.literal(" ok").optional, walks: 25, maxTokens: 80)
    }
}
