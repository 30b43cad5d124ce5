import Foundation
import GGUF
import TestSupport
import Testing

@testable import Execute

/// The engine against a plain float32 reference on tiny models the tests write themselves.
@Suite struct SyntheticModelTests {
    static func load(_ synthetic: SyntheticModel) throws -> LanguageModel {
        let path = TestPaths.temporaryFile()
        try synthetic.write(to: path)
        return try LanguageModel(path: path)
    }

    static func logits(_ runner: ModelRunner, _ ids: [Int32], slots: [Int32]? = nil) throws -> [Float] {
        let slots = slots ?? (0..<Int32(ids.count)).map { $0 }
        return try runner.forward(ForwardBatch([.init(tokens: ids, position: 0, slots: slots)])) { Array($0.logits(0)!) }
    }

    /// Largest difference relative to the reference's largest magnitude (at least 1): float32
    /// summation order and 16-bit activations move logits by a few parts in ten thousand.
    static func maxDifference(_ a: [Float], _ reference: [Float]) -> Float {
        let scale = max(1, reference.map(abs).max() ?? 1)
        return (zip(a, reference).map { abs($0 - $1) }.max() ?? .infinity) / scale
    }

    static let prompt: [Int32] = Array("Hello, synthetic world!".utf8).map { Int32($0) }

    @Test(arguments: GGUFTensorType.allCases)
    func testPrefillLogitsMatchReferenceForWeightType(_ type: GGUFTensorType) throws {
        var synthetic = SyntheticModel(.llama)
        synthetic.weightType = type
        if type.blockSize == 256 {  // K-quant rows are whole super-blocks
            synthetic.embedding = 256
            synthetic.feedForward = 512
        }
        let runner = try ModelRunner(model: try Self.load(synthetic), kvSlots: 64, threads: 2)
        let engine = try Self.logits(runner, Self.prompt)
        let reference = synthetic.reference().logits(Self.prompt)
        #expect(Self.maxDifference(engine, reference) < 2e-3, "\(type)")
    }

    /// Prompt attention runs in blocks of 128 query rows, each seeing keys up to its own last
    /// row: a 300-token prompt in one chunk (two whole blocks and a partial one), and the same
    /// prompt as a 140-token chunk then a 160-token chunk starting mid-prompt.
    @Test func testLongPromptAttentionMatchesReferenceInOneChunkOrTwo() throws {
        var synthetic = SyntheticModel(.llama)
        synthetic.weightType = .q4_1
        let model = try Self.load(synthetic)
        let prompt = (0..<300).map { Int32(32 + ($0 * 37) % 200) }
        let reference = synthetic.reference().logits(prompt)
        let slots = (0..<Int32(prompt.count)).map { $0 }

        let whole = try ModelRunner(model: model, kvSlots: 320, threads: 2)
        #expect(Self.maxDifference(try Self.logits(whole, prompt), reference) < 2e-3)

        let split = try ModelRunner(model: model, kvSlots: 320, threads: 2)
        _ = try split.forward(ForwardBatch([
            .init(tokens: Array(prompt.prefix(140)), position: 0, slots: Array(slots.prefix(140)), output: .none)
        ])) { _ in }
        let logits = try split.forward(ForwardBatch([
            .init(tokens: Array(prompt.dropFirst(140)), position: 140, slots: slots)
        ])) { Array($0.logits(0)!) }
        #expect(Self.maxDifference(logits, reference) < 2e-3)
    }

    @Test func testUntiedOutputHeadIsUsed() throws {
        var synthetic = SyntheticModel(.llama)
        synthetic.tiedOutput = false
        let runner = try ModelRunner(model: try Self.load(synthetic), kvSlots: 64, threads: 2)
        #expect(Self.maxDifference(try Self.logits(runner, Self.prompt), synthetic.reference().logits(Self.prompt)) < 2e-3)
    }

    @Test func testDecodeStepsMatchReferenceAtEveryPosition() throws {
        var synthetic = SyntheticModel(.llama)
        synthetic.weightType = .q4_1
        let runner = try ModelRunner(model: try Self.load(synthetic), kvSlots: 64, threads: 2)
        let slots = (0..<Int32(Self.prompt.count)).map { 63 - $0 }  // any slots, in any order
        _ = try runner.forward(ForwardBatch([.init(tokens: Array(Self.prompt.prefix(3)), position: 0, slots: slots, output: .none)])) { _ in }
        let reference = synthetic.reference()
        for position in 3..<Self.prompt.count {
            let logits = try runner.forward(ForwardBatch([
                .init(tokens: [Self.prompt[position]], position: position, slots: slots)
            ])) { Array($0.logits(0)!) }
            #expect(Self.maxDifference(logits, reference.logits(Array(Self.prompt.prefix(position + 1)))) < 2e-3, "position \(position)")
        }
    }

    @Test func testBatchedSequencesMatchSeparateRuns() throws {
        var synthetic = SyntheticModel(.llama)
        synthetic.weightType = .q8_0
        let model = try Self.load(synthetic)
        let a: [Int32] = Array("first sequence".utf8).map { Int32($0) }
        let b: [Int32] = Array("second, longer sequence".utf8).map { Int32($0) }
        let runner = try ModelRunner(model: model, kvSlots: 128, threads: 2)
        let aSlots = (0..<Int32(a.count)).map { $0 * 2 }  // interleaved slots
        let bSlots = (0..<Int32(b.count)).map { $0 * 2 + 1 }
        // One step: a's decode row next to b's whole prompt, after a's prefix is cached.
        _ = try runner.forward(ForwardBatch([.init(tokens: Array(a.dropLast()), position: 0, slots: aSlots, output: .none)])) { _ in }
        let (la, lb) = try runner.forward(ForwardBatch([
            .init(tokens: [a.last!], position: a.count - 1, slots: aSlots),
            .init(tokens: b, position: 0, slots: bSlots),
        ])) { (Array($0.logits(0)!), Array($0.logits(1)!)) }
        let reference = synthetic.reference()
        #expect(Self.maxDifference(la, reference.logits(a)) < 2e-3)
        #expect(Self.maxDifference(lb, reference.logits(b)) < 2e-3)
    }

    @Test func testRewardHeadScoresTheLastPosition() throws {
        var synthetic = SyntheticModel(.llama)
        synthetic.rewardHead = true
        let runner = try ModelRunner(model: try Self.load(synthetic), kvSlots: 64, threads: 2)
        let slots = (0..<Int32(Self.prompt.count)).map { $0 }
        let score = try runner.forward(ForwardBatch([.init(tokens: Self.prompt, position: 0, slots: slots, output: .score)])) {
            $0.score(0)
        }
        let expected = synthetic.reference().score(Self.prompt)
        #expect(abs((score ?? .nan) - expected) < 1e-3, "\(String(describing: score)) vs \(expected)")
    }

    @Test func testScoringWithoutRewardHeadIsATypedError() throws {
        let runner = try ModelRunner(model: try Self.load(SyntheticModel(.llama)), kvSlots: 64, threads: 2)
        #expect(throws: ExecuteError.noRewardHead) {
            try runner.forward(ForwardBatch([.init(tokens: [1, 2], position: 0, slots: [0, 1], output: .score)])) { _ in }
        }
    }

    @Test func testInvalidBatchesAreRejectedNotRun() throws {
        let runner = try ModelRunner(model: try Self.load(SyntheticModel(.llama)), kvSlots: 8, threads: 1)
        #expect(throws: ExecuteError.self) { try runner.forward(ForwardBatch([.init(tokens: [1], position: 0, slots: [8])])) { _ in } }
        #expect(throws: ExecuteError.self) { try runner.forward(ForwardBatch([.init(tokens: [999], position: 0, slots: [0])])) { _ in } }
        #expect(throws: ExecuteError.self) { try runner.forward(ForwardBatch([.init(tokens: [1, 2], position: 0, slots: [0])])) { _ in } }
    }

    @Test func testMissingTensorIsNamed() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        for (key, value) in [
            ("block_count", 1), ("context_length", 64), ("embedding_length", 32), ("feed_forward_length", 32), ("attention.head_count", 4),
        ] {
            writer.set("llama." + key, .uint32(UInt32(value)))
        }
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        writer.addTensor("token_embd.weight", shape: [32, 10], values: Array(repeating: 0, count: 320))
        let path = TestPaths.temporaryFile()
        try Data(writer.serialized()).write(to: URL(fileURLWithPath: path))
        #expect(throws: ExecuteError.model(.missingTensor("blk.0.attn_norm.weight"))) { try LanguageModel(path: path) }
    }

    @Test func testUnsupportedArchitectureIsNamed() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("mamba"))
        let path = TestPaths.temporaryFile()
        try Data(writer.serialized()).write(to: URL(fileURLWithPath: path))
        #expect(throws: ExecuteError.unsupportedArchitecture("mamba")) { try LanguageModel(path: path) }
    }
}
