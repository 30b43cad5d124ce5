import Foundation
import GGUF
import TestSupport
import Testing

@testable import Tokenize

/// The real models' tokenizers against llama.cpp's tokenizations (`golden/*tokenize.json`:
/// special tokens recognised in the text, no BOS added): SmolLM2's byte-level BPE (pre-tokenizer
/// `smollm`), Gemma 3's SentencePiece and Qwen2.5-Coder's byte-level BPE (`qwen2`); then what each
/// model's vocabulary says about BOS, control and stop tokens.
@Suite struct TokenizerGoldenTests {
    /// Each model's tokenizer, read once per test process from the file's metadata only (the
    /// tokenizer needs no tensor).
    static let tokenizers: [GoldenModel: Result<Tokenizer, any Error>] = Dictionary(
        uniqueKeysWithValues: GoldenModel.allCases.map { model in
            (model, Result { try Tokenizer(gguf: GGUFFile(path: model.path(), metadataOnly: true)) })
        })

    static func tokenizer(_ model: GoldenModel) throws -> Tokenizer { try tokenizers[model]!.get() }

    /// Texts in each fixture.
    static let caseCounts: [GoldenModel: Int] = [.smolLM2: 30, .gemma3: 15, .qwen25Coder: 17]

    struct Tokenization: Decodable, Sendable {
        let text: String
        let ids: [Int32]
    }

    /// One text of one model's fixture.
    struct Case: Sendable, CustomTestStringConvertible {
        let model: GoldenModel
        let tokenization: Tokenization
        var testDescription: String { "\(model.rawValue): \(tokenization.text.debugDescription)" }
    }

    static func tokenizations(_ model: GoldenModel) -> [Tokenization] { (try? TestPaths.loadFixture(model.tokenizeFixture)) ?? [] }

    static let cases: [Case] = GoldenModel.allCases.flatMap { model in tokenizations(model).map { Case(model: model, tokenization: $0) } }

    @Test(arguments: GoldenModel.allCases)
    func testGoldenFixtureIsPresent(_ model: GoldenModel) {
        #expect(Self.tokenizations(model).count == Self.caseCounts[model])
    }

    @Test(arguments: cases)
    func testEncodeMatchesLlamaCpp(_ c: Case) throws {
        let tokenizer = try Self.tokenizer(c.model)
        #expect(tokenizer.encode(c.tokenization.text, parseSpecial: true, addSpecial: false) == c.tokenization.ids)
    }

    @Test(arguments: cases)
    func testDecodeOfGoldenIdsRestoresText(_ c: Case) throws {
        let tokenizer = try Self.tokenizer(c.model)
        #expect(try tokenizer.decode(c.tokenization.ids, skipSpecial: false) == c.tokenization.text)
    }

    @Test(arguments: GoldenModel.allCases)
    func testRoundTripOfArbitraryText(_ model: GoldenModel) throws {
        let tokenizer = try Self.tokenizer(model)
        let text = "Ωμέγα 🧪 \u{0}\u{7F} mixed\r\n\tcontent — «quotes» ½ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ٣٤   spaced  "
        #expect(try tokenizer.decode(tokenizer.encode(text, addSpecial: false)) == text)
    }

    // MARK: SmolLM2

    @Test func testSmolLMAddsNoBOS() throws {
        let tokenizer = try Self.tokenizer(.smolLM2)
        #expect(tokenizer.vocabulary.addBOS == false)
        #expect(tokenizer.encode("Hello world", addSpecial: true) == [19556, 905])
    }

    @Test func testControlTokensAreTextWhenSpecialParsingIsOff() throws {
        let tokenizer = try Self.tokenizer(.smolLM2)
        let ids = tokenizer.encode("<|im_start|>user", parseSpecial: false)
        #expect(!ids.contains(1))
        #expect(try tokenizer.decode(ids) == "<|im_start|>user")
    }

    @Test func testDecodeSkipsControlTokensByDefault() throws {
        let tokenizer = try Self.tokenizer(.smolLM2)
        #expect(try tokenizer.decode([1, 4093, 198, 19556, 2]) == "user\nHello")
    }

    @Test func testDecodeRejectsIdsOutsideVocabulary() throws {
        let tokenizer = try Self.tokenizer(.smolLM2)
        #expect(throws: TokenizerError.tokenOutOfRange(id: 49152, vocabularySize: 49152)) {
            try tokenizer.decode([19556, 49152])
        }
    }

    @Test func testStopTokensIncludeEndOfTurn() throws {
        let vocabulary = try Self.tokenizer(.smolLM2).vocabulary
        #expect(vocabulary.eosID == 2)
        #expect(vocabulary.isStop(2))  // <|im_end|>
        #expect(vocabulary.isStop(0))  // <|endoftext|>
        #expect(!vocabulary.isStop(1))  // <|im_start|>
    }

    @Test func testLongWordTakesHeapPathAndRoundTrips() throws {
        let tokenizer = try Self.tokenizer(.smolLM2)
        let word = String(repeating: "abracadabra", count: 500)
        let ids = tokenizer.encode(word)
        #expect(ids.count < word.utf8.count / 2)
        #expect(try tokenizer.decode(ids) == word)
    }

    // MARK: Qwen2.5-Coder

    @Test func testQwenAddsNoBOSAndStopsOnEndOfTurn() throws {
        let tokenizer = try Self.tokenizer(.qwen25Coder)
        #expect(tokenizer.vocabulary.addBOS == false)
        #expect(tokenizer.encode("Hello world", addSpecial: true) == [9707, 1879])
        #expect(tokenizer.vocabulary.isStop(151645))  // <|im_end|>
        #expect(tokenizer.vocabulary.isStop(151643))  // <|endoftext|>
        #expect(!tokenizer.vocabulary.isStop(151644))  // <|im_start|>
    }

    @Test func testQwenSplitsDigitsOneByOne() throws {
        let tokenizer = try Self.tokenizer(.qwen25Coder)
        let ids = tokenizer.encode("12345", addSpecial: false)
        #expect(try ids.map { try tokenizer.decode([$0]) } == ["1", "2", "3", "4", "5"])
    }
}
