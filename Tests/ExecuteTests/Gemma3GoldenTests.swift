import Foundation
import GGUF
import LightServeCore
import TestSupport
import Testing

@testable import Execute

/// Gemma 3 270M Q4_K_M against the float32 numpy reference (`golden/gemma3_logits.json`): top-5
/// ids equal, logits within 0.05, greedy continuation equal up to the first near-tie.
/// Needs the K-quant tensor types (Q4_K, Q6_K, Q5_0) to load the file.
@Suite(.serialized) struct Gemma3GoldenTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let text: String
        let prompt_ids: [Int32]
        let top5: [[Double]]
        let greedy_ids: [Int32]
        let greedy_margins: [Double]
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = (try? TestPaths.loadFixture("gemma3_logits.json")) ?? []
    static let model: Result<LanguageModel, any Error> = Result { try LanguageModel(path: TestModel.gemma3()) }

    @Test func testFixtureIsPresent() {
        #expect(Self.cases.count >= 4)
    }

    @Test func testGemmaFileIsReadAsGemma3() throws {
        let c = try Self.model.get().configuration
        #expect(c.architecture == "gemma3" && c.layerCount == 18 && c.headDimension == 256 && c.queryDimension == 1024)
        #expect(c.layers.filter { $0.slidingWindow == 512 }.count == 15)
        #expect(try Self.model.get().quantization == "Q4_K_M")
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
        let comparable = c.greedy_margins.firstIndex { $0 < 0.05 } ?? c.greedy_ids.count
        #expect(comparable > 0)
        #expect(Array(result.ids.prefix(comparable)) == Array(c.greedy_ids.prefix(comparable)))
    }
}
