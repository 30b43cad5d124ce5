import TestSupport
import Testing

@testable import Execute

/// A pruned output head (a draft model's `--draft-vocabulary`): which token ids it computes, and
/// that it computes them exactly as the whole head does, every other token at -inf.
@Suite struct HeadVocabularyTests {
    @Test func prunedHeadKeepsTheLowIdsInWholeGroupsAndTheGroupsOfControlTokensAboveThem() {
        let head = HeadVocabulary.pruned(keeping: 1000, controlTokens: [3, 5000, 5001, 5020, 9990], size: 10_000)
        #expect(head.ranges == [0..<1008, 4992..<5024, 9984..<10_000])
        #expect(head.gaps == [1008..<4992, 5024..<9984])
        #expect(head.count == 1008 + 32 + 16)
        #expect(!head.isComplete)
    }

    @Test func prunedHeadWiderThanTheVocabularyIsTheWholeHead() {
        let head = HeadVocabulary.pruned(keeping: 20_000, controlTokens: [9999], size: 10_000)
        #expect(head == .complete(size: 10_000))
        #expect(head.isComplete && head.gaps.isEmpty)
    }

    @Test func controlTokensNextToTheKeptIdsJoinTheirRange() {
        let head = HeadVocabulary.pruned(keeping: 64, controlTokens: [70, 95, 200], size: 1000)
        #expect(head.ranges == [0..<96, 192..<208])
    }

    @Test(arguments: KernelSet.runnable)
    func prunedHeadComputesItsTokensAsTheWholeHeadDoesAndLeavesTheRestAtMinusInfinity(kernels: KernelSet) throws {
        let model = try LanguageModel(path: try TestModel.path())
        let ids: [Int32] = [1, 4093, 314, 2574, 28, 260, 1345]
        let slots = (0..<Int32(ids.count)).map { $0 }
        // Two sequences, so that the head meets two rows, the way a drafting step's does.
        let batch = ForwardBatch([
            .init(tokens: Array(ids.prefix(4)), position: 0, slots: Array(slots.prefix(4))),
            .init(tokens: Array(ids.suffix(3)), position: 0, slots: Array(slots.suffix(3))),
        ])
        func logits(_ vocabulary: HeadVocabulary) throws -> [[Float]] {
            let runner = try ModelRunner(model: model, kvSlots: ids.count, threads: 2, kernels: kernels)
            runner.headVocabulary = vocabulary
            return try runner.forward(batch) { outputs in [Array(outputs.logits(0)!), Array(outputs.logits(1)!)] }
        }
        let size = model.configuration.vocabularySize
        // SmolLM2's control tokens are among its lowest ids: two more high up give the head
        // ranges that start past its first row.
        let pruned = HeadVocabulary.pruned(
            keeping: 1000, controlTokens: try DraftModel.controlTokens(of: model) + [30_000, size - 1], size: size)
        #expect(pruned.ranges.count == 3 && pruned.count < size / 2)
        let whole = try logits(.complete(size: size))
        let part = try logits(pruned)
        for row in 0..<2 {
            for range in pruned.ranges { #expect(Array(part[row][range]) == Array(whole[row][range]), "row \(row) \(range)") }
            for gap in pruned.gaps { #expect(part[row][gap].allSatisfy { $0 == -.infinity }, "row \(row) \(gap)") }
        }
    }
}
