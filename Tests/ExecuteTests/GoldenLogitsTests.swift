import ExecuteKernels
import Foundation
import GGUF
import LightServeCore
import TestSupport
import Testing

@testable import Execute

/// The engine on the real models against the float32 numpy reference (`golden/*_logits.json`,
/// `ref_forward.py`): per prompt, the last position's top-five ids equal and their logits within
/// 0.05, and the 24-token greedy continuation equal up to the first near-tie (a step whose
/// reference margin is under 0.05, which summation order may legitimately flip), on every kernel
/// build this processor runs (the AVX-512 one only where it has AVX-512).
@Suite(.serialized) struct GoldenLogitsTests {
    /// Each model loaded once per test process.
    static let models: [GoldenModel: Result<LanguageModel, any Error>] = Dictionary(
        uniqueKeysWithValues: GoldenModel.allCases.map { model in (model, Result { try LanguageModel(path: model.path()) }) })

    static func loaded(_ model: GoldenModel) throws -> LanguageModel { try models[model]!.get() }

    /// Prompts in each fixture.
    static let promptCounts: [GoldenModel: Int] = [.smolLM2: 7, .gemma3: 5, .qwen25Coder: 5]

    struct Prompt: Decodable, Sendable {
        let text: String
        let prompt_ids: [Int32]
        let top5: [[Double]]
        let greedy_ids: [Int32]
        let greedy_margins: [Double]
    }

    /// One prompt of one model's fixture.
    struct Case: Sendable, CustomTestStringConvertible {
        let model: GoldenModel
        let prompt: Prompt
        var testDescription: String { "\(model.rawValue): \(prompt.text.debugDescription)" }
    }

    static func prompts(_ model: GoldenModel) -> [Prompt] { (try? TestPaths.loadFixture(model.logitsFixture)) ?? [] }

    static let cases: [Case] = GoldenModel.allCases.flatMap { model in prompts(model).map { Case(model: model, prompt: $0) } }

    @Test(arguments: GoldenModel.allCases)
    func testFixtureIsPresent(_ model: GoldenModel) {
        #expect(Self.prompts(model).count == Self.promptCounts[model])
    }

    @Test(arguments: cases, KernelSet.runnable)
    func testLastPositionTopFiveMatchReference(_ c: Case, kernels: KernelSet) throws {
        let ids = c.prompt.prompt_ids
        let runner = try ModelRunner(model: try Self.loaded(c.model), kvSlots: ids.count, threads: 2, kernels: kernels)
        let slots = (0..<Int32(ids.count)).map { $0 }
        let logits: [Float] = try runner.forward(ForwardBatch([.init(tokens: ids, position: 0, slots: slots)])) {
            Array($0.logits(0)!)
        }
        let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
        #expect(top.map { Int32($0) } == c.prompt.top5.map { Int32($0[0]) })
        for (id, expected) in zip(top, c.prompt.top5.map { $0[1] }) {
            #expect(abs(Double(logits[id]) - expected) < 0.05, "token \(id): \(logits[id]) vs \(expected)")
        }
    }

    @Test(arguments: cases, KernelSet.runnable)
    func testGreedyContinuationMatchesReferenceUntilNearTie(_ c: Case, kernels: KernelSet) throws {
        let ids = c.prompt.prompt_ids
        let generator = try Generator(model: try Self.loaded(c.model), capacity: ids.count + 24, threads: 2, kernels: kernels)
        let result = try generator.generate(prompt: ids, maxNewTokens: 24)
        // Steps before the first near-tie must agree; from it on, summation order may flip a step.
        let comparable = c.prompt.greedy_margins.firstIndex { $0 < 0.05 } ?? c.prompt.greedy_ids.count
        #expect(comparable > 0)
        #expect(Array(result.ids.prefix(comparable)) == Array(c.prompt.greedy_ids.prefix(comparable)))
    }

    // MARK: What each file is read as

    /// The layers' Q4_1 projections and the Q8_0 head tied to the embeddings are held packed, so
    /// SmolLM2's golden logits pin the packed kernels; the embeddings keep the file's rows for
    /// lookups.
    @Test func testSmolLM2LayerProjectionsAndHeadArePackedAndLookupsAreNot() throws {
        let model = try Self.loaded(.smolLM2)
        let layer = try #require(model.layers.first)
        for matrix in [layer.query, layer.key, layer.value, layer.attentionOutput, layer.gate, layer.up, layer.down] {
            #expect(matrix.packed != nil && matrix.kernelType == ls_packed_type(Int32(GGUFTensorType.q4_1.rawValue), 16, 32), "\(matrix.name)")
        }
        #expect(model.output.packed != nil && model.output.kernelType == ls_packed_type(Int32(GGUFTensorType.q8_0.rawValue), 16, 32))
        #expect(model.embedding.packed == nil)
    }

    /// Qwen2.5-Coder-0.5B's Q4_K and Q6_K layer matrices are held in their packed layouts, so its
    /// golden logits pin the K-quant packed kernels; a matrix whose rows are not whole
    /// super-blocks (896 columns: its attention, gate and up projections fall back to other types)
    /// keeps its file type's layout unless that type has one. Its head, tied to the embeddings,
    /// is packed; the lookups keep the file's rows.
    @Test func testQwenCoderKQuantMatricesArePacked() throws {
        let model = try Self.loaded(.qwen25Coder)
        var packedTypes = Set<GGUFTensorType>()
        for layer in model.layers {
            for matrix in [layer.query, layer.key, layer.value, layer.attentionOutput, layer.gate, layer.up, layer.down] {
                let layout = ls_packed_type(Int32(matrix.type.rawValue), Int32(matrix.rows), Int32(matrix.columns))
                #expect((matrix.packed != nil) == (layout >= 0) && (layout < 0 || matrix.kernelType == layout), "\(matrix.name)")
                if matrix.packed != nil { packedTypes.insert(matrix.type) }
            }
        }
        #expect(packedTypes.isSuperset(of: [.q4_K, .q6_K]), "\(packedTypes)")
        #expect(model.output.packed != nil && model.embedding.packed == nil)
    }

    @Test func testGemmaFileIsReadAsGemma3() throws {
        let model = try Self.loaded(.gemma3)
        let c = model.configuration
        #expect(c.architecture == "gemma3" && c.layerCount == 18 && c.headDimension == 256 && c.queryDimension == 1024)
        #expect(c.layers.filter { $0.slidingWindow == 512 }.count == 15)
        #expect(model.quantization == "Q4_K_M")
    }

    @Test func testQwenCoderFileIsReadAsQwen2() throws {
        let model = try Self.loaded(.qwen25Coder)
        let c = model.configuration
        #expect(c.architecture == "qwen2" && c.layerCount == 24 && c.embeddingLength == 896 && c.headDimension == 64)
        #expect(c.rotaries.allSatisfy { $0.layout == .neox })
        #expect(model.quantization == "Q4_K_M")
    }
}
