import Grammar
import LightServeCore
import Testing

@Suite struct ConstraintStateTests {
    private let vocabulary = TestVocabulary.vocabulary
    private let eos = TestVocabulary.endOfSequence

    private func id(_ text: String) -> Int32 {
        Int32(TestVocabulary.tokens.firstIndex(of: Array(text.utf8))!)
    }

    private func mask(_ constraint: ConstraintState) -> TokenMask {
        var mask = TokenMask(count: vocabulary.count)
        constraint.fillMask(&mask)
        return mask
    }

    /// Accepts each token in turn; false as soon as one is refused.
    private func feed(_ constraint: inout ConstraintState, _ tokens: Int32...) -> Bool {
        tokens.allSatisfy { constraint.accept($0) }
    }

    @Test func plainGrammarAllowsEndOfSequenceExactlyWhereItCanEnd() throws {
        var c = ConstraintState.grammar(try TestVocabulary.compiler.compile(Grammar.regex("ab?")))
        #expect(!mask(c).isAllowed(eos))
        let earlyEnd = feed(&c, eos)
        #expect(!earlyEnd)
        let a = feed(&c, id("a"))
        #expect(a)
        #expect(mask(c).isAllowed(eos) && mask(c).isAllowed(id("b")))
        let b = feed(&c, id("b"))
        #expect(b)
        #expect(c.isComplete)
        #expect(mask(c).allowedIDs == [eos])
        let end = feed(&c, eos)
        #expect(end)
        #expect(c.isTerminated)
        #expect(mask(c).allowedCount == 0)
    }

    @Test func allowListAllowsExactlyItsIdsAndEndsOnlyIfListed() {
        var c = ConstraintState.allowing([id("a"), id("b"), 100_000], vocabulary: vocabulary)
        #expect(mask(c).allowedIDs == [id("a"), id("b")].sorted())
        #expect(!c.canEnd)
        let other = feed(&c, id("c"))
        #expect(!other)
        let listed = feed(&c, id("b"))
        #expect(listed)
        let ending = ConstraintState.allowing([id("a"), eos], vocabulary: vocabulary)
        #expect(ending.canEnd)
        #expect(mask(ending).isAllowed(eos))
    }

    @Test func tokenTriggerStartsTheGrammarAndItsCompletionFreesTheText() throws {
        let call = try TestVocabulary.compiler.compile(Grammar.regex(#"\{x\}"#))
        var c = ConstraintState.triggered(by: [.token(TestVocabulary.toolCall)], grammar: call)
        #expect(!c.isConstraining)
        #expect(mask(c).allowedCount == vocabulary.count)
        let triggered = feed(&c, id("hello"), TestVocabulary.toolCall)
        #expect(triggered)
        #expect(c.isConstraining)
        #expect(mask(c).allowedIDs == [id("{")])
        #expect(!c.canEnd)
        let completed = feed(&c, id("{"), id("x"), id("}"))
        #expect(completed)
        #expect(!c.isConstraining)
        #expect(c.canEnd)
        // A second call is possible, and so is text after it.
        let again = feed(&c, id(" "), TestVocabulary.toolCall)
        #expect(again)
        #expect(c.isConstraining)
    }

    @Test func textTriggerFiresAcrossTokensButOnlyAtATokenBoundary() throws {
        let answer = try TestVocabulary.compiler.compile(Grammar.regex("(yes|no)"))
        let trigger = ConstraintState.Trigger.text(Array("</think>".utf8))
        var split = ConstraintState.triggered(by: [trigger], grammar: answer)
        let pieces = feed(&split, id("</"), id("think"))
        #expect(pieces && !split.isConstraining)
        let last = feed(&split, id(">"))
        #expect(last && split.isConstraining)
        #expect(mask(split).isAllowed(id("yes")) && !mask(split).isAllowed(id(" yes")))

        var whole = ConstraintState.triggered(by: [trigger], grammar: answer)
        let one = feed(&whole, id("</think>"))
        #expect(one && whole.isConstraining)

        // The output must end with the trigger: "think" ends with "hink" but not with "thi".
        var suffix = ConstraintState.triggered(by: [.text(Array("hink".utf8))], grammar: answer)
        var inside = ConstraintState.triggered(by: [.text(Array("thi".utf8))], grammar: answer)
        let s = feed(&suffix, id("think"))
        let i = feed(&inside, id("think"))
        #expect(s && suffix.isConstraining)
        #expect(i && !inside.isConstraining)
    }

    @Test func userDefinedTokenMatchesItsTextInsideAGrammar() throws {
        let call = try TestVocabulary.compiler.compile(Grammar.literal("<tool_call>") + Grammar.regex("[0-9]"))
        var c = ConstraintState.grammar(call)
        // Both the added token <tool_call> and the spelling "<" "tool" ... satisfy the literal.
        #expect(mask(c).isAllowed(TestVocabulary.toolCall))
        #expect(mask(c).isAllowed(id("<")))
        let accepted = feed(&c, TestVocabulary.toolCall)
        #expect(accepted)
        #expect(mask(c).isAllowed(id("7")))
    }

    @Test func controlAndEmptyTokensAreNeverMatchedByGrammarBytes() throws {
        let g = try TestVocabulary.compiler.compile(Grammar.literal("<|endoftext|>").optional)
        var c = ConstraintState.grammar(g)
        let control = feed(&c, TestVocabulary.endOfText)
        let empty = feed(&c, TestVocabulary.empty)
        #expect(!control && !empty)
        #expect(!mask(c).isAllowed(TestVocabulary.endOfText))
        #expect(!mask(c).isAllowed(TestVocabulary.empty))
        #expect(mask(c).isAllowed(eos))
        #expect(mask(c).isAllowed(id("<")))
    }

    @Test func copiesRollBack() throws {
        let g = try TestVocabulary.compiler.compile(Grammar.ebnf(#"root ::= "(" root ")" | "x""#))
        var c = ConstraintState.grammar(g)
        let open = feed(&c, id("("), id("("))
        #expect(open)
        let saved = c
        let closed = feed(&c, id("x"), id(")"), id(")"))
        #expect(closed && c.canEnd)
        var restored = saved
        #expect(!restored.canEnd)
        #expect(mask(restored) == mask(saved))
        let deeper = feed(&restored, id("("))
        #expect(deeper && !mask(restored).isAllowed(eos))
    }

    @Test func aRefusedTokenLeavesTheStateUnchanged() throws {
        var c = ConstraintState.grammar(try TestVocabulary.compiler.compile(Grammar.regex("ab+c")))
        let a = feed(&c, id("a"))
        #expect(a)
        let before = mask(c)
        let c1 = feed(&c, id("c"))
        let c2 = feed(&c, id("abc"))
        #expect(!c1 && !c2)
        #expect(mask(c) == before)
    }
}
