import Foundation
import TestSupport
import Testing

@testable import Tokenize

/// The hand-written pre-tokenizers against Python's `regex` module running the original patterns
/// (`Fixtures/pretokenizer_splits.json`).
@Suite struct PreTokenizerTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let text: String
        let gpt2: [String]
        let llama3: [String]
        let qwen2: [String]
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = (try? TestPaths.loadFixture("pretokenizer_splits.json")) ?? []

    static func pieces(_ pre: PreTokenizer, _ text: String) -> [String] {
        let scalarText = ScalarText(Substring(text).unicodeScalars)
        var out: [String] = []
        pre.split(scalarText, 0..<scalarText.scalars.count) { range in
            var s = String.UnicodeScalarView()
            for k in range { s.append(Unicode.Scalar(scalarText.scalars[k])!) }
            out.append(String(s))
        }
        return out
    }

    @Test func testFixtureIsPresent() {
        #expect(Self.cases.count == 5)
    }

    @Test(arguments: cases)
    func testGPT2PatternMatchesRegex(_ c: Case) {
        #expect(Self.pieces(.gpt2(isolateDigits: false), c.text) == c.gpt2)
    }

    @Test(arguments: cases)
    func testLlama3PatternMatchesRegex(_ c: Case) {
        #expect(Self.pieces(.llama3(maxDigits: 3), c.text) == c.llama3)
    }

    @Test(arguments: cases)
    func testQwen2PatternMatchesRegex(_ c: Case) {
        #expect(Self.pieces(.llama3(maxDigits: 1), c.text) == c.qwen2)
    }

    @Test func testSmolLMIsolatesEveryDigit() {
        #expect(Self.pieces(.gpt2(isolateDigits: true), "in 2026, x") == ["in", " ", "2", "0", "2", "6", ",", " x"])
    }

    @Test func testNamesMapToFamilies() throws {
        #expect(try PreTokenizer(name: "smollm") == .gpt2(isolateDigits: true))
        #expect(try PreTokenizer(name: "gpt2") == .gpt2(isolateDigits: false))
        #expect(try PreTokenizer(name: "llama-bpe") == .llama3(maxDigits: 3))
        #expect(try PreTokenizer(name: "qwen2") == .llama3(maxDigits: 1))
        #expect(try PreTokenizer(name: "deepseek-r1-qwen") == .llama3(maxDigits: 1))
        #expect(throws: TokenizerError.unsupportedPreTokenizer("bloom")) { try PreTokenizer(name: "bloom") }
    }
}
