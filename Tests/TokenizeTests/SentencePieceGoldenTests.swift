import Foundation
import GGUF
import TestSupport
import Testing

@testable import Tokenize

/// What Gemma 3's SentencePiece vocabulary says about BOS, stop tokens and characters it has no
/// token for (its golden tokenizations are in ``TokenizerGoldenTests``).
@Suite struct SentencePieceGoldenTests {
    @Test func testGemmaAddsBOSAndStopsOnEndOfTurn() throws {
        let tokenizer = try TokenizerGoldenTests.tokenizer(.gemma3)
        #expect(tokenizer.encode("Hello world") == [2, 9259, 1902])
        #expect(tokenizer.vocabulary.isStop(1))  // <eos>
        #expect(tokenizer.vocabulary.isStop(106))  // <end_of_turn>
        #expect(!tokenizer.vocabulary.isStop(105))  // <start_of_turn>
    }

    @Test func testCharactersOutsideTheVocabularyFallBackToByteTokens() throws {
        let tokenizer = try TokenizerGoldenTests.tokenizer(.gemma3)
        // U+F0000 (supplementary private use) has no token: its UTF-8 bytes come out as byte tokens.
        let ids = tokenizer.encode("\u{F0000}", addSpecial: false)
        #expect(ids.map { tokenizer.vocabulary.tokens[Int($0)] } == ["<0xF3>", "<0xB0>", "<0x80>", "<0x80>"])
        #expect(try tokenizer.decode(ids) == "\u{F0000}")
    }
}

/// The SentencePiece rules on a vocabulary small enough to follow by hand.
@Suite struct SentencePieceRuleTests {
    static func tokenizer(addSpacePrefix: Bool) throws -> Tokenizer {
        let tokens = ["<unk>", "<s>", "</s>", "<0x41>", "<0x42>", "a", "b", "c", "ab", "bc", "ca", "\u{2581}", "\u{2581}a", "<ctl>"]
        let scores: [Float] = [0, 0, 0, 0, 0, -1, -1, -1, -3, -2, -4, -1, -5, 0]
        var types = [TokenType](repeating: .normal, count: tokens.count)
        types[0] = .unknown
        types[1] = .control
        types[2] = .control
        types[3] = .byte
        types[4] = .byte
        types[13] = .control
        let vocabulary = try Vocabulary(
            tokens: tokens, types: types, bosID: 1, eosID: 2, unknownID: 0, addBOS: true, spelling: .sentencePiece)
        return try Tokenizer(sentencePiece: vocabulary, scores: scores, addSpacePrefix: addSpacePrefix)
    }

    @Test func testHigherScoringPairMergesFirst() throws {
        // "bc" (-2) beats "ab" (-3), and then "a"+"bc" is no token: a, bc.
        #expect(try Self.tokenizer(addSpacePrefix: false).encode("abc", addSpecial: false) == [5, 9])
    }

    @Test func testSpacePrefixFollowsTheFile() throws {
        #expect(try Self.tokenizer(addSpacePrefix: true).encode("a", addSpecial: false) == [12])
        #expect(try Self.tokenizer(addSpacePrefix: false).encode("a", addSpecial: false) == [5])
        // After a special token the prefix is added again; decoding drops the first one.
        let prefixed = try Self.tokenizer(addSpacePrefix: true)
        #expect(prefixed.encode("a<ctl>a", addSpecial: false) == [12, 13, 12])
        #expect(try prefixed.decode([12, 6]) == "ab")
    }

    @Test func testUnknownCharacterWithoutByteTokenIsUnknown() throws {
        // 'A' has a byte token, 'Z' has none: <0x41>, then <unk>.
        #expect(try Self.tokenizer(addSpacePrefix: false).encode("AZ", addSpecial: false) == [3, 0])
    }
}
