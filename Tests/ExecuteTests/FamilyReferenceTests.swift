import Foundation
import GGUF
import TestSupport
import Testing

@testable import Execute

/// Each family's forward pass against `ref_forward.py` (float32 numpy) on small random models the
/// tests write (`SyntheticModel`); expected logits in `Fixtures/family_logits.json`, made by
/// `scripts/family-fixtures`.
@Suite struct FamilyReferenceTests {
    struct Check: Decodable, Sendable {
        /// Logits of the last of the first `length` ids, in id order.
        let length: Int
        let logits: [Float]
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let family: SyntheticModel.Family
        let ids: [Int32]
        let checks: [Check]
        var testDescription: String { family.rawValue }
    }

    static let cases: [Case] = (try? TestPaths.loadFixture("family_logits.json")) ?? []

    /// Logits move from the reference's by the engine's half-precision KV cache and summation
    /// order; on these models (logits of magnitude ~5-20) the largest difference measured was
    /// under 0.01 (see each case's figure in the failure message).
    static let tolerance: Float = 0.03

    @Test func testFixtureCoversEveryFamily() {
        #expect(Set(Self.cases.map(\.family)) == Set(SyntheticModel.Family.allCases))
    }

    /// A prefill long enough for the sgemm attention path, then decode rows (the direct path)
    /// one position at a time, each against the reference; slots deliberately out of order.
    @Test(arguments: SyntheticModel.Family.allCases, KernelSet.runnable)
    func testPrefillAndDecodeLogitsMatchReference(_ family: SyntheticModel.Family, kernels: KernelSet) throws {
        let model = try LanguageModel(path: SyntheticModel(family).writeForTest())
        let c = try #require(Self.cases.first { $0.family == family }, "no fixture for \(family.rawValue): run scripts/family-fixtures")
        let runner = try ModelRunner(model: model, kvSlots: 64, threads: 2, kernels: kernels)
        let slots = (0..<Int32(c.ids.count)).map { 63 - 2 * $0 }
        let first = try #require(c.checks.first).length
        var worst: Float = 0
        for check in c.checks {
            let logits: [Float]
            if check.length == first {
                logits = try runner.forward(ForwardBatch([.init(tokens: Array(c.ids.prefix(first)), position: 0, slots: slots)])) {
                    Array($0.logits(0)!)
                }
            } else {
                logits = try runner.forward(ForwardBatch([
                    .init(tokens: [c.ids[check.length - 1]], position: check.length - 1, slots: slots)
                ])) { Array($0.logits(0)!) }
            }
            let difference = zip(logits, check.logits).map { abs($0 - $1) }.max() ?? .infinity
            worst = max(worst, difference)
            #expect(logits.count == check.logits.count)
            #expect(difference < Self.tolerance, "\(c.family.rawValue) at length \(check.length): max |Δ| \(difference)")
        }
        print("\(c.family.rawValue): largest logit difference from the reference \(worst)")
    }

    @Test func testFamiliesReadTheirOwnBlockParts() throws {
        let gemma = try LanguageModel(path: SyntheticModel(.gemma3).writeForTest()).configuration
        #expect(gemma.block == BlockRecipe(queryKeyNorm: true, postAttentionNorm: true, postFeedForwardNorm: true, activation: .geluTanh))
        #expect(gemma.headDimension == 64 && gemma.queryDimension == 128 && gemma.embeddingLength == 64)
        #expect(gemma.embeddingScale == 8)
        #expect(gemma.layers.map(\.slidingWindow) == [4, 4, 4, 4, 4, nil, 4])
        #expect(gemma.layers.map { gemma.rotaries[$0.rotary].base } == [1e4, 1e4, 1e4, 1e4, 1e4, 1e6, 1e4])
        let qwen3 = try LanguageModel(path: SyntheticModel(.qwen3).writeForTest()).configuration
        #expect(qwen3.headDimension == 32 && qwen3.rotaries[0].layout == .neox && qwen3.block.queryKeyNorm)
        let linear = try LanguageModel(path: SyntheticModel(.llamaLinear).writeForTest()).configuration
        #expect(linear.rotaries[0].positionScale == 0.25 && linear.rotaries[0].layout == .normal)
    }

    @Test func testRopeScalingOtherThanLinearIsRefusedByName() throws {
        var synthetic = SyntheticModel(.llamaRopeFreqs)
        synthetic.extraMetadata = [("llama.rope.scaling.type", .string("yarn")), ("llama.rope.scaling.factor", .float32(4))]
        let path = try synthetic.writeForTest()
        #expect(throws: ExecuteError.unsupportedRopeScaling("yarn")) { try LanguageModel(path: path) }
        #expect(ExecuteError.unsupportedRopeScaling("yarn").description.contains("'yarn'"))
    }

    @Test func testTensorsTheFamilyDoesNotUseAreRefused() throws {
        // A llama file with q/k norms would be computed without them: refuse it.
        var synthetic = SyntheticModel(.llamaLinear)
        synthetic.extraTensors = [("blk.0.attn_q_norm.weight", 16), ("blk.0.attn_k_norm.weight", 16)]
        let path = try synthetic.writeForTest()
        #expect(throws: ExecuteError.unusedTensors(architecture: "llama", names: ["blk.0.attn_q_norm.weight", "blk.0.attn_k_norm.weight"])) {
            try LanguageModel(path: path)
        }
    }

    @Test func testMissingFamilyPartIsNamed() throws {
        // A qwen3 file without its q/k norms cannot be computed right.
        var writer = GGUFWriter()
        let bytes = SyntheticModel(.qwen2).serialized()
        let path = TestPaths.temporaryFile()
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let qwen2 = try GGUFFile(path: path)
        for key in qwen2.metadataKeys {
            let value = qwen2.metadata[key]!
            writer.set(key.hasPrefix("qwen2.") ? "qwen3." + key.dropFirst(6) : key, key == "general.architecture" ? .string("qwen3") : value)
        }
        for tensor in qwen2.tensors where !tensor.name.hasSuffix(".bias") {
            writer.addTensor(tensor.name, type: tensor.type, shape: tensor.shape, rawData: Array(qwen2.bytes(of: tensor)))
        }
        let qwen3Path = TestPaths.temporaryFile()
        try Data(writer.serialized()).write(to: URL(fileURLWithPath: qwen3Path))
        #expect(throws: ExecuteError.model(.missingTensor("blk.0.attn_q_norm.weight"))) { try LanguageModel(path: qwen3Path) }
    }
}
