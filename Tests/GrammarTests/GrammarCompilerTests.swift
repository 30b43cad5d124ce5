import Grammar
import LightServeCore
import Testing

@Suite struct GrammarCompilerTests {
    @Test func theSameGrammarCompilesOnce() throws {
        let compiler = GrammarCompiler(vocabulary: TestVocabulary.vocabulary)
        let schema = #"{"type": "object", "properties": {"a": {"type": "integer"}}}"#
        let first = try compiler.compile(Grammar.jsonSchema(JSON.parse(schema)))
        let second = try compiler.compile(Grammar.jsonSchema(JSON.parse(schema)))
        #expect(first === second)
        #expect(compiler.cachedGrammarCount == 1)
    }

    @Test func theCacheKeepsOnlyTheMostRecentlyUsedGrammars() throws {
        let compiler = GrammarCompiler(vocabulary: TestVocabulary.vocabulary, cacheCapacity: 2)
        let a = try compiler.compile(Grammar.regex("a"))
        _ = try compiler.compile(Grammar.regex("b"))
        _ = try compiler.compile(Grammar.regex("a"))  // a is now the most recent
        _ = try compiler.compile(Grammar.regex("c"))  // evicts b
        #expect(compiler.cachedGrammarCount == 2)
        #expect(try compiler.compile(Grammar.regex("a")) === a)
    }

    @Test func theCacheAlsoStaysUnderItsByteBound() throws {
        let compiler = GrammarCompiler(vocabulary: TestVocabulary.vocabulary, cacheBytes: 1)
        _ = try compiler.compile(Grammar.regex("a+"))
        let latest = try compiler.compile(Grammar.regex("b+"))
        #expect(compiler.cachedGrammarCount == 1)
        #expect(try compiler.compile(Grammar.regex("b+")) === latest)
    }

    @Test func compilingFromSeveralTasksAtOnceIsSafe() async throws {
        let compiler = GrammarCompiler(vocabulary: TestVocabulary.vocabulary)
        let states = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                group.addTask { try compiler.compile(Grammar.regex("x{\(i % 3)}y")).stateCount }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(states.count == 8)
        #expect(compiler.cachedGrammarCount == 3)
    }

    @Test(arguments: [
        "a{100000}", "(a|b)*a(a|b){24}", "((a{1,50}){1,50}){1,50}",
    ])
    func blowUpsStopWithTooComplex(_ pattern: String) {
        #expect {
            try TestVocabulary.compiler.compile(Grammar.regex(pattern))
        } throws: { error in
            if case .tooComplex = error as? GrammarError { return true }
            return false
        }
    }

    @Test func aHugeSchemaRepetitionStopsWithTooComplex() {
        #expect {
            try TestVocabulary.compiler.compile(
                Grammar.jsonSchema(JSON.parse(#"{"type": "array", "items": {"type": "integer"}, "maxItems": 1000000}"#)))
        } throws: { error in
            if case .tooComplex = error as? GrammarError { return true }
            return false
        }
    }

    @Test func composedGrammarsWithTheSameRuleNamesKeepTheirOwnRules() throws {
        let a = try Grammar.ebnf(#"root ::= item "!"   item ::= "a""#)
        let b = try Grammar.ebnf(#"root ::= item "?"   item ::= "b""#)
        let both = a + b | b
        #expect(try both.accepts("a!b?"))
        #expect(try both.accepts("b?"))
        #expect(try !both.accepts("b!a?"))
        #expect(try !both.accepts("a!"))
    }

    @Test func repetitionAndOptionalCompose() throws {
        let g = Grammar.literal("x").repeated(min: 2, max: 3) + Grammar.literal("y").optional + Grammar.empty
        #expect(try g.accepts("xx"))
        #expect(try g.accepts("xxxy"))
        #expect(try !g.accepts("x"))
        #expect(try !g.accepts("xxxx"))
        #expect(try Grammar.literal(bytes: [0xC3, 0xA9]).accepts("é"))
    }

    @Test func aGrammarThatMatchesNothingIsUnusable() {
        #expect {
            try TestVocabulary.compiler.compile(Grammar.regex("[^\\x00-\\u{10FFFF}]"))
        } throws: { error in
            if case .unusable = error as? GrammarError { return true }
            return false
        }
    }

    @Test func tokenMaskLayoutIsBitIOfWordIOver64() {
        var mask = TokenMask(count: 130)
        mask.allow(0)
        mask.allow(65)
        mask.allow(129)
        mask.allow(130)  // outside: ignored
        #expect(mask.words == [1, 2, 2])
        #expect(mask.allowedIDs == [0, 65, 129])
        #expect(mask.isAllowed(65) && !mask.isAllowed(64) && !mask.isAllowed(-1) && !mask.isAllowed(130))
        mask.withUnsafeWords { words in
            let halves = UnsafeRawBufferPointer(words).bindMemory(to: UInt32.self)
            #expect(halves[65 / 32] == 1 << (65 % 32))
        }
        mask.allowAll()
        #expect(mask.allowedCount == 130)
        #expect(mask.words[2] == 0b11)
        mask.allowAll(below: 3)
        #expect(mask.allowedIDs == [0, 1, 2])
        mask.disallow(1)
        #expect(mask.allowedIDs == [0, 2])
        mask.removeAll()
        #expect(mask.allowedCount == 0)
    }

    @Test func aMaskWiderThanTheVocabularyLeavesTheExtraIdsDisallowed() throws {
        let g = try TestVocabulary.compiler.compile(Grammar.regex("[a-z]+"))
        var mask = TokenMask(count: TestVocabulary.vocabulary.count + 100)
        g.makeMatcher().fillMask(&mask)
        #expect(mask.allowedIDs.allSatisfy { Int($0) < TestVocabulary.vocabulary.count })
        #expect(mask.allowedCount > 26)
    }

    @Test func deepNestingNeitherOverflowsTheStackNorLeaksIt() throws {
        let g = try TestVocabulary.compiler.compile(Grammar.ebnf(#"root ::= "[" root "]" | "x""#))
        var m = g.makeMatcher()
        for _ in 0..<50_000 { m.accept(bytes: Array("[".utf8)) }
        let closed = m.accept(bytes: Array("x]]".utf8))
        #expect(closed && !m.canEnd)
    }
}
