import ExecuteKernels
import Foundation
import GGUF
import LightServeCore
import TestSupport
import Testing

@testable import Execute

/// The engine against the float32 numpy reference (`golden/logits.json`).
@Suite(.serialized) struct GoldenLogitsTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let text: String
        let prompt_ids: [Int32]
        let top5: [[Double]]
        let greedy_ids: [Int32]
        let greedy_margins: [Double]
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = (try? TestPaths.loadFixture("logits.json")) ?? []
    static let model: Result<LanguageModel, any Error> = Result { try LanguageModel(path: TestModel.path()) }

    @Test func testFixtureIsPresent() {
        #expect(Self.cases.count == 7)
    }

    /// The layers' Q4_1 projections and the Q8_0 head tied to the embeddings are held packed, so
    /// the golden logits below pin the packed kernels; the embeddings keep the file's rows for
    /// lookups.
    @Test func testLayerProjectionsAndHeadArePackedAndLookupsAreNot() throws {
        let model = try Self.model.get()
        let layer = try #require(model.layers.first)
        for matrix in [layer.query, layer.key, layer.value, layer.attentionOutput, layer.gate, layer.up, layer.down] {
            #expect(matrix.packed != nil && matrix.kernelType == ls_packed_type(Int32(GGUFTensorType.q4_1.rawValue), 16, 32), "\(matrix.name)")
        }
        #expect(model.output.packed != nil && model.output.kernelType == ls_packed_type(Int32(GGUFTensorType.q8_0.rawValue), 16, 32))
        #expect(model.embedding.packed == nil)
    }

    /// On every kernel build this processor runs (the AVX-512 one only where it has AVX-512).
    @Test(arguments: cases, KernelSet.runnable)
    func testLastPositionTopFiveMatchReference(_ c: Case, kernels: KernelSet) throws {
        let runner = try ModelRunner(model: try Self.model.get(), kvSlots: c.prompt_ids.count, threads: 2, kernels: kernels)
        let slots = (0..<Int32(c.prompt_ids.count)).map { $0 }
        let logits: [Float] = try runner.forward(ForwardBatch([.init(tokens: c.prompt_ids, position: 0, slots: slots)])) {
            Array($0.logits(0)!)
        }
        let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
        #expect(top.map { Int32($0) } == c.top5.map { Int32($0[0]) })
        for (id, expected) in zip(top, c.top5.map { $0[1] }) {
            #expect(abs(Double(logits[id]) - expected) < 0.05, "token \(id): \(logits[id]) vs \(expected)")
        }
    }

    @Test(arguments: cases, KernelSet.runnable)
    func testGreedyContinuationMatchesReferenceUntilNearTie(_ c: Case, kernels: KernelSet) throws {
        let generator = try Generator(model: try Self.model.get(), capacity: c.prompt_ids.count + 24, threads: 2, kernels: kernels)
        let result = try generator.generate(prompt: c.prompt_ids, maxNewTokens: 24)
        // Steps before the first near-tie must agree; from it on, summation order may flip a step.
        let comparable = c.greedy_margins.firstIndex { $0 < 0.05 } ?? c.greedy_ids.count
        #expect(comparable > 0)
        #expect(Array(result.ids.prefix(comparable)) == Array(c.greedy_ids.prefix(comparable)))
    }
}
