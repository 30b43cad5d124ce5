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
    /// A real model the suite runs, with its reference numbers.
    enum Model: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// SmolLM2-135M-Instruct Q4_1 (llama): packed Q4_1 layers, a tied Q8_0 head.
        case smolLM2 = "SmolLM2-135M-Instruct Q4_1"
        /// Gemma 3 270M Q4_K_M: K-quants with Q5_0 and Q8_0 fallbacks, sliding-window layers.
        case gemma3 = "Gemma 3 270M Q4_K_M"
        /// Qwen2.5-Coder-0.5B-Instruct Q4_K_M (qwen2): q/k/v biases, NEOX rotary.
        case qwen25Coder = "Qwen2.5-Coder-0.5B-Instruct Q4_K_M"

        var testDescription: String { rawValue }

        var fixture: String {
            switch self {
            case .smolLM2: "logits.json"
            case .gemma3: "gemma3_logits.json"
            case .qwen25Coder: "qwen25coder05b_logits.json"
            }
        }

        /// Prompts in the fixture.
        var promptCount: Int {
            switch self {
            case .smolLM2: 7
            case .gemma3, .qwen25Coder: 5
            }
        }

        /// Loaded once per test process.
        var loaded: Result<LanguageModel, any Error> {
            switch self {
            case .smolLM2: GoldenLogitsTests.smolLM2
            case .gemma3: GoldenLogitsTests.gemma3
            case .qwen25Coder: GoldenLogitsTests.qwen25Coder
            }
        }
    }

    static let smolLM2 = Result<LanguageModel, any Error> { try LanguageModel(path: TestModel.path()) }
    static let gemma3 = Result<LanguageModel, any Error> { try LanguageModel(path: TestModel.gemma3()) }
    static let qwen25Coder = Result<LanguageModel, any Error> { try LanguageModel(path: TestModel.named("qwen2.5-coder-0.5b")) }

    struct Prompt: Decodable, Sendable {
        let text: String
        let prompt_ids: [Int32]
        let top5: [[Double]]
        let greedy_ids: [Int32]
        let greedy_margins: [Double]
    }

    /// One prompt of one model's fixture.
    struct Case: Sendable, CustomTestStringConvertible {
        let model: Model
        let prompt: Prompt
        var testDescription: String { "\(model.rawValue): \(prompt.text.debugDescription)" }
    }

    static func prompts(_ model: Model) -> [Prompt] { (try? TestPaths.loadFixture(model.fixture)) ?? [] }

    static let cases: [Case] = Model.allCases.flatMap { model in prompts(model).map { Case(model: model, prompt: $0) } }

    @Test(arguments: Model.allCases)
    func testFixtureIsPresent(_ model: Model) {
        #expect(Self.prompts(model).count == model.promptCount)
    }

    @Test(arguments: cases, KernelSet.runnable)
    func testLastPositionTopFiveMatchReference(_ c: Case, kernels: KernelSet) throws {
        let ids = c.prompt.prompt_ids
        let runner = try ModelRunner(model: try c.model.loaded.get(), kvSlots: ids.count, threads: 2, kernels: kernels)
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
        let generator = try Generator(model: try c.model.loaded.get(), capacity: ids.count + 24, threads: 2, kernels: kernels)
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
        let model = try Self.smolLM2.get()
        let layer = try #require(model.layers.first)
        for matrix in [layer.query, layer.key, layer.value, layer.attentionOutput, layer.gate, layer.up, layer.down] {
            #expect(matrix.packed != nil && matrix.kernelType == ls_packed_type(Int32(GGUFTensorType.q4_1.rawValue), 16, 32), "\(matrix.name)")
        }
        #expect(model.output.packed != nil && model.output.kernelType == ls_packed_type(Int32(GGUFTensorType.q8_0.rawValue), 16, 32))
        #expect(model.embedding.packed == nil)
    }

    @Test func testGemmaFileIsReadAsGemma3() throws {
        let model = try Self.gemma3.get()
        let c = model.configuration
        #expect(c.architecture == "gemma3" && c.layerCount == 18 && c.headDimension == 256 && c.queryDimension == 1024)
        #expect(c.layers.filter { $0.slidingWindow == 512 }.count == 15)
        #expect(model.quantization == "Q4_K_M")
    }

    @Test func testQwenCoderFileIsReadAsQwen2() throws {
        let model = try Self.qwen25Coder.get()
        let c = model.configuration
        #expect(c.architecture == "qwen2" && c.layerCount == 24 && c.embeddingLength == 896 && c.headDimension == 64)
        #expect(c.rotaries.allSatisfy { $0.layout == .neox })
        #expect(model.quantization == "Q4_K_M")
    }
}
