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
    /// A real model's tokenizer and its golden tokenizations.
    enum Model: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case smolLM2 = "SmolLM2-135M-Instruct"
        case gemma3 = "Gemma 3 270M"
        case qwen25Coder = "Qwen2.5-Coder-0.5B-Instruct"

        var testDescription: String { rawValue }

        var fixture: String {
            switch self {
            case .smolLM2: "tokenize.json"
            case .gemma3: "gemma3_tokenize.json"
            case .qwen25Coder: "qwen25coder05b_tokenize.json"
            }
        }

        var caseCount: Int {
            switch self {
            case .smolLM2: 30
            case .gemma3: 15
            case .qwen25Coder: 17
            }
        }

        /// Read once per test process, from the file's metadata only (the tokenizer needs no tensor).
        var tokenizer: Result<Tokenizer, any Error> {
            switch self {
            case .smolLM2: TokenizerGoldenTests.smolLM2
            case .gemma3: TokenizerGoldenTests.gemma3
            case .qwen25Coder: TokenizerGoldenTests.qwen25Coder
            }
        }
    }

    static let smolLM2 = Result<Tokenizer, any Error> { try Tokenizer(gguf: GGUFFile(path: TestModel.path(), metadataOnly: true)) }
    static let gemma3 = Result<Tokenizer, any Error> { try Tokenizer(gguf: GGUFFile(path: TestModel.gemma3(), metadataOnly: true)) }
    static let qwen25Coder = Result<Tokenizer, any Error> {
        try Tokenizer(gguf: GGUFFile(path: TestModel.named("qwen2.5-coder-0.5b"), metadataOnly: true))
    }

    struct Tokenization: Decodable, Sendable {
        let text: String
        let ids: [Int32]
    }

    /// One text of one model's fixture.
    struct Case: Sendable, CustomTestStringConvertible {
        let model: Model
        let tokenization: Tokenization
        var testDescription: String { "\(model.rawValue): \(tokenization.text.debugDescription)" }
    }

    static func tokenizations(_ model: Model) -> [Tokenization] { (try? TestPaths.loadFixture(model.fixture)) ?? [] }

    static let cases: [Case] = Model.allCases.flatMap { model in tokenizations(model).map { Case(model: model, tokenization: $0) } }

    @Test(arguments: Model.allCases)
    func testGoldenFixtureIsPresent(_ model: Model) {
        #expect(Self.tokenizations(model).count == model.caseCount)
    }

    @Test(arguments: cases)
    func testEncodeMatchesLlamaCpp(_ c: Case) throws {
        let tokenizer = try c.model.tokenizer.get()
        #expect(tokenizer.encode(c.tokenization.text, parseSpecial: true, addSpecial: false) == c.tokenization.ids)
    }

    @Test(arguments: cases)
    func testDecodeOfGoldenIdsRestoresText(_ c: Case) throws {
        let tokenizer = try c.model.tokenizer.get()
        #expect(try tokenizer.decode(c.tokenization.ids, skipSpecial: false) == c.tokenization.text)
    }

    @Test(arguments: Model.allCases)
    func testRoundTripOfArbitraryText(_ model: Model) throws {
        let tokenizer = try model.tokenizer.get()
        let text = "Ωμέγα 🧪 \u{0}\u{7F} mixed\r\n\tcontent — «quotes» ½ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ٣٤   spaced  "
        #expect(try tokenizer.decode(tokenizer.encode(text, addSpecial: false)) == text)
    }

    // MARK: SmolLM2

    @Test func testSmolLMAddsNoBOS() throws {
        let tokenizer = try Self.smolLM2.get()
        #expect(tokenizer.vocabulary.addBOS == false)
        #expect(tokenizer.encode("Hello world", addSpecial: true) == [19556, 905])
    }

    @Test func testControlTokensAreTextWhenSpecialParsingIsOff() throws {
        let tokenizer = try Self.smolLM2.get()
        let ids = tokenizer.encode("<|im_start|>user", parseSpecial: false)
        #expect(!ids.contains(1))
        #expect(try tokenizer.decode(ids) == "<|im_start|>user")
    }

    @Test func testDecodeSkipsControlTokensByDefault() throws {
        let tokenizer = try Self.smolLM2.get()
        #expect(try tokenizer.decode([1, 4093, 198, 19556, 2]) == "user\nHello")
    }

    @Test func testDecodeRejectsIdsOutsideVocabulary() throws {
        let tokenizer = try Self.smolLM2.get()
        #expect(throws: TokenizerError.tokenOutOfRange(id: 49152, vocabularySize: 49152)) {
            try tokenizer.decode([19556, 49152])
        }
    }

    @Test func testStopTokensIncludeEndOfTurn() throws {
        let vocabulary = try Self.smolLM2.get().vocabulary
        #expect(vocabulary.eosID == 2)
        #expect(vocabulary.isStop(2))  // <|im_end|>
        #expect(vocabulary.isStop(0))  // <|endoftext|>
        #expect(!vocabulary.isStop(1))  // <|im_start|>
    }

    @Test func testLongWordTakesHeapPathAndRoundTrips() throws {
        let tokenizer = try Self.smolLM2.get()
        let word = String(repeating: "abracadabra", count: 500)
        let ids = tokenizer.encode(word)
        #expect(ids.count < word.utf8.count / 2)
        #expect(try tokenizer.decode(ids) == word)
    }

    // MARK: Qwen2.5-Coder

    @Test func testQwenAddsNoBOSAndStopsOnEndOfTurn() throws {
        let tokenizer = try Self.qwen25Coder.get()
        #expect(tokenizer.vocabulary.addBOS == false)
        #expect(tokenizer.encode("Hello world", addSpecial: true) == [9707, 1879])
        #expect(tokenizer.vocabulary.isStop(151645))  // <|im_end|>
        #expect(tokenizer.vocabulary.isStop(151643))  // <|endoftext|>
        #expect(!tokenizer.vocabulary.isStop(151644))  // <|im_start|>
    }

    @Test func testQwenSplitsDigitsOneByOne() throws {
        let tokenizer = try Self.qwen25Coder.get()
        let ids = tokenizer.encode("12345", addSpecial: false)
        #expect(try ids.map { try tokenizer.decode([$0]) } == ["1", "2", "3", "4", "5"])
    }
}
