import Foundation
import GGUF
import TestSupport
import Testing

@testable import Tokenize

/// The tokenizer reads its `tokenizer.*` keys or refuses the file by name.
@Suite struct TokenizerMetadataTests {
    static func tokenizer(_ synthetic: SyntheticModel) throws -> Tokenizer {
        try Tokenizer(gguf: GGUFFile(path: synthetic.writeForTest(), metadataOnly: true))
    }

    /// A byte-level BPE file without `tokenizer.ggml.pre` used to get GPT-2's pre-tokenizer.
    @Test func testMissingPreTokenizerIsRefused() throws {
        var synthetic = SyntheticModel(.qwen2)
        synthetic.omittedMetadata = ["tokenizer.ggml.pre"]
        #expect(throws: TokenizerError.missingPreTokenizer) { try Self.tokenizer(synthetic) }
        #expect(TokenizerError.missingPreTokenizer.description.contains("tokenizer.ggml.pre"))
    }

    @Test func testTokenizerKeyNothingReadsIsRefusedByName() throws {
        var synthetic = SyntheticModel(.qwen2)
        synthetic.extraMetadata = [("tokenizer.ggml.remove_extra_whitespaces", .bool(true))]
        #expect(throws: TokenizerError.unreadMetadata(["tokenizer.ggml.remove_extra_whitespaces"])) { try Self.tokenizer(synthetic) }
    }

    @Test(arguments: ["tokenizer.ggml.add_sep_token", "tokenizer.ggml.add_space_prefix"])
    func testSettingTheTokenizerLacksIsRefusedByName(_ key: String) throws {
        var synthetic = SyntheticModel(.qwen2)
        synthetic.extraMetadata = [(key, .bool(true))]
        #expect {
            try Self.tokenizer(synthetic)
        } throws: { error in
            guard case .unsupportedSetting(let found, _) = error as? TokenizerError else { return false }
            return found == key
        }
    }

    @Test func testRoleAndTemplateKeysAreAccepted() throws {
        var synthetic = SyntheticModel(.qwen2)
        synthetic.extraMetadata = [
            ("tokenizer.chat_template", .string("{{ messages }}")), ("tokenizer.chat_template.tool_use", .string("{{ tools }}")),
            ("tokenizer.ggml.fim_pre_token_id", .uint32(257)), ("tokenizer.ggml.add_sep_token", .bool(false)),
            ("tokenizer.ggml.eom_token_id", .uint32(259)),
        ]
        let tokenizer = try Self.tokenizer(synthetic)
        #expect(tokenizer.vocabulary.isStop(259) && tokenizer.vocabulary.isStop(258))
    }
}
