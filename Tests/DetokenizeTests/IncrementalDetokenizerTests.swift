import Foundation
import GGUF
import TestSupport
import Testing
import Tokenize

@testable import Detokenize

@Suite struct IncrementalDetokenizerTests {
    static let tokenizer: Result<Tokenizer, any Error> = Result { try Tokenizer(gguf: GGUFFile(path: TestModel.path())) }

    static func pieces(_ ids: [Int32], skipSpecial: Bool = true) throws -> [String] {
        var detokenizer = IncrementalDetokenizer(vocabulary: try tokenizer.get().vocabulary, skipSpecialTokens: skipSpecial)
        return ids.map { detokenizer.append($0) } + [detokenizer.finish()]
    }

    @Test func testCharacterSplitAcrossTokensIsHeldBackNotReplaced() throws {
        // "日本語のテキストです。" tokenizes into byte-level pieces that split characters.
        let ids: [Int32] = [23274, 115, 40993, 179, 120, 248, 26453, 11100, 224, 10391, 251, 10391, 134, 11100, 226, 7365, 117, 39958, 19076]
        let pieces = try Self.pieces(ids)
        #expect(pieces.joined() == "日本語のテキストです。")
        #expect(!pieces.contains { $0.contains("\u{FFFD}") })
        #expect(pieces.contains(""), "some token should complete no character")
    }

    @Test func testTokensWithoutBytesAddNothingAndNeverTrap() throws {
        // Vocabularies padded to a round size have unused (or empty) entries with no bytes.
        let vocabulary = try Vocabulary(tokens: ["a", "", "<pad_0>", "\u{0120}b"], types: [.normal, .normal, .unused, .normal])
        var detokenizer = IncrementalDetokenizer(vocabulary: vocabulary)
        #expect(detokenizer.append(1) == "" && detokenizer.append(2) == "")
        #expect(detokenizer.append(0) == "a" && detokenizer.append(2) == "" && detokenizer.append(3) == " b")
        #expect(detokenizer.finish() == "")
        #expect(IncrementalDetokenizer.incompleteSuffixLength([]) == 0)
    }

    @Test func testEmojiSequenceStreamsWithoutReplacementCharacters() throws {
        let text = "emoji 😀🎉👍🏽 and 🇫🇷 flags"
        let tokenizer = try Self.tokenizer.get()
        let pieces = try Self.pieces(tokenizer.encode(text))
        #expect(pieces.joined() == text)
        #expect(!pieces.joined().contains("\u{FFFD}"))
    }

    @Test func testConcatenatedPiecesEqualOneShotDecode() throws {
        let tokenizer = try Self.tokenizer.get()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            // Random token ids include stray byte tokens whose bytes never form a character.
            let ids = (0..<40).map { _ in Int32.random(in: 0..<Int32(tokenizer.vocabulary.count), using: &generator) }
            for skip in [true, false] {
                #expect(try Self.pieces(ids, skipSpecial: skip).joined() == tokenizer.decode(ids, skipSpecial: skip))
            }
        }
    }

    @Test func testSpecialTokensSkippedOrShownByOption() throws {
        let ids: [Int32] = [1, 4093, 198, 19556, 2]
        #expect(try Self.pieces(ids).joined() == "user\nHello")
        #expect(try Self.pieces(ids, skipSpecial: false).joined() == "<|im_start|>user\nHello<|im_end|>")
    }

    @Test func testUnfinishedCharacterBecomesReplacementAtFinish() throws {
        let tokenizer = try Self.tokenizer.get()
        var detokenizer = IncrementalDetokenizer(vocabulary: tokenizer.vocabulary)
        // Token 23274 holds the first two of the three bytes of "日".
        #expect(detokenizer.append(23274) == "")
        #expect(detokenizer.pendingByteCount == 2)
        #expect(detokenizer.finish() == "\u{FFFD}")
        #expect(try tokenizer.decode([23274]) == "\u{FFFD}")
    }

    @Test func testIncompleteSuffixRules() {
        #expect(IncrementalDetokenizer.incompleteSuffixLength(Array("ab".utf8)) == 0)
        #expect(IncrementalDetokenizer.incompleteSuffixLength([0x61, 0xE6]) == 1)
        #expect(IncrementalDetokenizer.incompleteSuffixLength([0x61, 0xE6, 0x97]) == 2)
        #expect(IncrementalDetokenizer.incompleteSuffixLength([0xE6, 0x97, 0xA5]) == 0)  // complete 日
        #expect(IncrementalDetokenizer.incompleteSuffixLength([0xF0, 0x9F, 0x98]) == 3)
        #expect(IncrementalDetokenizer.incompleteSuffixLength([0xE0, 0x80]) == 0)  // overlong: never valid
        #expect(IncrementalDetokenizer.incompleteSuffixLength([0xFF]) == 0)
    }
}
