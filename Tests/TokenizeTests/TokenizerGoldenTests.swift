import Foundation
import GGUF
import TestSupport
import Testing

@testable import Tokenize

/// The default model's tokenizer against llama.cpp's tokenizations (`golden/tokenize.json`).
@Suite struct TokenizerGoldenTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        let text: String
        let ids: [Int32]
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = (try? TestPaths.loadFixture("tokenize.json")) ?? []
    static let tokenizer: Result<Tokenizer, any Error> = Result {
        try Tokenizer(gguf: GGUFFile(path: TestModel.path()))
    }

    @Test func testGoldenFixtureIsPresent() {
        #expect(Self.cases.count == 30)
    }

    @Test(arguments: cases)
    func testEncodeMatchesLlamaCpp(_ c: Case) throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(tokenizer.encode(c.text) == c.ids)
    }

    @Test(arguments: cases)
    func testDecodeOfGoldenIdsRestoresText(_ c: Case) throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(try tokenizer.decode(c.ids, skipSpecial: false) == c.text)
    }

    @Test func testSmolLMAddsNoBOS() throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(tokenizer.vocabulary.addBOS == false)
        #expect(tokenizer.encode("Hello world", addSpecial: true) == [19556, 905])
    }

    @Test func testControlTokensAreTextWhenSpecialParsingIsOff() throws {
        let tokenizer = try Self.tokenizer.get()
        let ids = tokenizer.encode("<|im_start|>user", parseSpecial: false)
        #expect(!ids.contains(1))
        #expect(try tokenizer.decode(ids) == "<|im_start|>user")
    }

    @Test func testDecodeSkipsControlTokensByDefault() throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(try tokenizer.decode([1, 4093, 198, 19556, 2]) == "user\nHello")
    }

    @Test func testDecodeRejectsIdsOutsideVocabulary() throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(throws: TokenizerError.tokenOutOfRange(id: 49152, vocabularySize: 49152)) {
            try tokenizer.decode([19556, 49152])
        }
    }

    @Test func testStopTokensIncludeEndOfTurn() throws {
        let vocabulary = try Self.tokenizer.get().vocabulary
        #expect(vocabulary.eosID == 2)
        #expect(vocabulary.isStop(2))  // <|im_end|>
        #expect(vocabulary.isStop(0))  // <|endoftext|>
        #expect(!vocabulary.isStop(1))  // <|im_start|>
    }

    @Test func testLongWordTakesHeapPathAndRoundTrips() throws {
        let tokenizer = try Self.tokenizer.get()
        let word = String(repeating: "abracadabra", count: 500)
        let ids = tokenizer.encode(word)
        #expect(ids.count < word.utf8.count / 2)
        #expect(try tokenizer.decode(ids) == word)
    }

    @Test func testRoundTripOfArbitraryUnicode() throws {
        let tokenizer = try Self.tokenizer.get()
        let text = "Ωμέγα 🧪 \u{0}\u{7F} mixed\r\n\tcontent — «quotes» ½ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ٣٤"
        #expect(try tokenizer.decode(tokenizer.encode(text)) == text)
    }
}
