import Foundation
import GGUF
import TestSupport
import Testing

@testable import Execute

/// The default SmolLM2 weights requantized into each ``QuantizationMix`` (its rows are 576 long,
/// so most matrices fall back to Q5_0/Q5_1/Q8_0 and `ffn_down` takes Q4_K/Q5_K/Q6_K), run by
/// the engine and compared with `ref_forward.py` run on the very same files (numbers in
/// Tests/Fixtures/requantized_logits.json; regenerate with `lightserve quantize` and
/// `ref_forward.py --top 5 --greedy 8` if the quantizer changes).
@Suite(.serialized) struct RequantizedModelTests {
    struct Reference: Decodable, Sendable {
        let prompt_ids: [Int32]
        let top: [[Double]]
        let greedy_ids: [Int32]
        let greedy_margins: [Double]
    }

    struct Mix: Decodable, Sendable {
        /// Tensors per type the mix must produce.
        let census: [String: Int]
        let cases: [Reference]
    }

    static let fixture: [String: Mix] = (try? TestPaths.loadFixture("requantized_logits.json")) ?? [:]

    @Test(arguments: QuantizationMix.allCases, KernelSet.runnable)
    func testRequantizedModelMatchesReferenceOnSameFile(_ mix: QuantizationMix, kernels: KernelSet) throws {
        let expected = try #require(Self.fixture[mix.rawValue], "no reference numbers for \(mix)")
        let source = try GGUFFile(path: TestModel.path())
        let writer = GGUFRequantizer.requantize(source, to: mix)
        let path = TestPaths.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(writer.serialized())))
        let census = Dictionary(writer.tensors.map { ($0.type.description, 1) }, uniquingKeysWith: +)
        #expect(census == expected.census)

        let model = try LanguageModel(path: path)
        for c in expected.cases {
            let runner = try ModelRunner(model: model, kvSlots: c.prompt_ids.count, threads: 2, kernels: kernels)
            let slots = (0..<Int32(c.prompt_ids.count)).map { $0 }
            let logits: [Float] = try runner.forward(ForwardBatch([.init(tokens: c.prompt_ids, position: 0, slots: slots)])) {
                Array($0.logits(0)!)
            }
            let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
            #expect(top.map { Int32($0) } == c.top.map { Int32($0[0]) }, "\(mix)")
            for (id, reference) in zip(top, c.top.map { $0[1] }) {
                #expect(abs(Double(logits[id]) - reference) < 0.05, "\(mix) token \(id): \(logits[id]) vs \(reference)")
            }
            let generator = try Generator(model: model, capacity: c.prompt_ids.count + c.greedy_ids.count, threads: 2, kernels: kernels)
            let result = try generator.generate(prompt: c.prompt_ids, maxNewTokens: c.greedy_ids.count)
            let comparable = c.greedy_margins.firstIndex { $0 < 0.05 } ?? c.greedy_ids.count
            #expect(Array(result.ids.prefix(comparable)) == Array(c.greedy_ids.prefix(comparable)), "\(mix)")
        }
    }
}
