import GGUF
import TestSupport
import Testing
import Tokenize

@testable import Execute

/// Every model of the catalog (Sources/ModelStore/models.tsv) loads under the strict rules: its
/// keys and tensors are all read, and its tokenizer builds.
@Suite(.serialized) struct CatalogModelLoadingTests {
    @Test(arguments: [
        ("smollm2-135m", "llama", 30), ("gemma3-270m", "gemma3", 18), ("qwen2.5-coder-0.5b", "qwen2", 24),
        ("qwen2.5-coder-1.5b", "qwen2", 28),
    ])
    func testCatalogModelLoadsWithItsTokenizer(_ name: String, architecture: String, layers: Int) throws {
        let model = try LanguageModel(path: TestModel.named(name))
        #expect(model.configuration.architecture == architecture && model.configuration.layerCount == layers)
        #expect(model.configuration.finalLogitSoftCap == nil)
        let tokenizer = try Tokenizer(gguf: model.file)
        #expect(tokenizer.vocabulary.count >= model.configuration.vocabularySize)
    }
}
