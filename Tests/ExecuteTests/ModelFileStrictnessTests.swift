import Foundation
import GGUF
import TestSupport
import Testing

@testable import Execute

/// A model file is computed as it says or refused by name: tensors and `{arch}.*` keys its
/// family does not read, missing keys llama.cpp requires, soft-capping the kernels lack.
@Suite struct ModelFileStrictnessTests {
    static func load(_ synthetic: SyntheticModel) throws -> LanguageModel {
        try LanguageModel(path: synthetic.writeForTest())
    }

    /// Every family but Llama leaves `rope_freqs.weight` unread (it used to be accepted silently).
    @Test(arguments: [SyntheticModel.Family.qwen2, .qwen3, .gemma3])
    func testTensorTheFamilyDoesNotReadIsRefusedByName(_ family: SyntheticModel.Family) throws {
        var synthetic = SyntheticModel(family)
        synthetic.extraTensors = [("rope_freqs.weight", 8)]
        #expect(throws: ExecuteError.unusedTensors(architecture: family.architecture, names: ["rope_freqs.weight"])) {
            try Self.load(synthetic)
        }
    }

    @Test(arguments: [
        (SyntheticModel.Family.qwen2, "qwen2.final_logit_softcapping"),
        (.llamaRopeFreqs, "llama.attn_logit_softcapping"),
        (.qwen3, "qwen3.attention.sliding_window"),
        (.gemma3, "gemma2.attention.sliding_window"),
        (.llamaLinear, "llama.rope.scaling.attn_factor"),
        (.qwen2, "rustformers.anything"),
    ])
    func testKeyNothingReadsIsRefusedByName(_ family: SyntheticModel.Family, key: String) throws {
        var synthetic = SyntheticModel(family)
        synthetic.extraMetadata = [(key, .float32(30))]
        #expect(throws: ExecuteError.unreadMetadata(architecture: family.architecture, keys: [key])) { try Self.load(synthetic) }
    }

    @Test func testDescriptiveKeysAreAccepted() throws {
        var synthetic = SyntheticModel(.llamaRopeFreqs)
        synthetic.extraMetadata = [
            ("general.description", .string("a test")), ("general.sampling.temp", .float32(0.7)),
            ("quantize.imatrix.file", .string("imatrix.dat")), ("llama.rope.scaling.finetuned", .bool(false)),
            ("llama.tensor_data_layout", .string("Meta AI original pth")),
        ]
        #expect(try Self.load(synthetic).configuration.architecture == "llama")
    }

    @Test(arguments: SyntheticModel.Family.allCases)
    func testMissingContextLengthIsRefusedByName(_ family: SyntheticModel.Family) throws {
        var synthetic = SyntheticModel(family)
        synthetic.omittedMetadata = ["\(family.architecture).context_length"]
        #expect(throws: ExecuteError.model(.missingKey("\(family.architecture).context_length"))) { try Self.load(synthetic) }
    }

    @Test func testGemma3WithoutSlidingWindowIsRefusedByName() throws {
        var synthetic = SyntheticModel(.gemma3)
        synthetic.omittedMetadata = ["gemma3.attention.sliding_window"]
        #expect(throws: ExecuteError.model(.missingKey("gemma3.attention.sliding_window"))) { try Self.load(synthetic) }
    }

    @Test func testAttentionSoftCappingIsRefusedByName() throws {
        var synthetic = SyntheticModel(.gemma3)
        synthetic.extraMetadata = [("gemma3.attn_logit_softcapping", .float32(50))]
        #expect {
            try Self.load(synthetic)
        } throws: { error in
            guard case .unsupportedFeature(let key, _) = error as? ExecuteError else { return false }
            return key == "gemma3.attn_logit_softcapping"
        }
    }

    /// With `final_logit_softcapping` the logits are `cap · tanh(x / cap)` of the same file's
    /// logits without it (the cap half the largest logit, so it binds).
    @Test func testFinalLogitSoftCappingIsComputedOnTheLogits() throws {
        let ids = Array("soft cap".utf8).map { Int32($0) }
        func logits(_ synthetic: SyntheticModel) throws -> [Float] {
            let runner = try ModelRunner(model: try Self.load(synthetic), kvSlots: 16, threads: 2)
            let slots = (0..<Int32(ids.count)).map { $0 }
            return try runner.forward(ForwardBatch([.init(tokens: ids, position: 0, slots: slots)])) { Array($0.logits(0)!) }
        }
        let plain = try logits(SyntheticModel(.gemma3))
        let cap = (plain.map(abs).max() ?? 0) / 2
        #expect(cap > 0)
        var capped = SyntheticModel(.gemma3)
        capped.extraMetadata = [("gemma3.final_logit_softcapping", .float32(cap))]
        #expect(try Self.load(capped).configuration.finalLogitSoftCap == cap)
        let result = try logits(capped)
        let worst = zip(result, plain).map { abs($0 - cap * tanh($1 / cap)) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst)")
        #expect(zip(result, plain).contains { abs($0 - $1) > cap / 10 })
    }

    @Test func testNonPositiveSoftCapIsRefused() throws {
        var synthetic = SyntheticModel(.gemma3)
        synthetic.extraMetadata = [("gemma3.final_logit_softcapping", .float32(0))]
        #expect(throws: ExecuteError.self) { try Self.load(synthetic) }
    }
}
