import Execute
import LightServeCore
import Schedule
import TestSupport
import Testing
import Tokenize

/// A draft model changes nothing a greedy request gets: through the scheduler and the engine,
/// every request's tokens and end are those it gets without speculation, one request at a time
/// and eight at once. SmolLM2 drafting for itself exercises the drafter's bookkeeping (catching
/// up, slots shared with the model) at little cost; Qwen2.5-Coder-0.5B drafting for the 1.5B is
/// the real pair.
@Suite(.serialized) struct DraftModelGreedyEqualityTests {
    typealias Equality = SpeculativeGreedyEqualityTests

    /// Drafts whenever the draft model is confident: a flat step cost makes any length pay.
    static let alwaysDraft = SpeculativeDecoding(
        drafter: .draftModel,
        lengths: DraftLengthPolicy(maxTokens: 6, costs: StepCostProfile(rows: [1, 64], costs: [1, 1])))

    static func check(
        model path: String, draft draftPath: String, draftVocabulary: Int? = nil, prompts: [String], batch: Int,
        maxNewTokens: Int
    ) throws {
        let model = try LanguageModel(path: path)
        let tokenizer = try Tokenizer(gguf: model.file)
        let ids = prompts.map { tokenizer.encode("<|im_start|>user\n\($0)<|im_end|>\n<|im_start|>assistant\n") }
        let executor = try StepExecutor(
            model: model, draftModel: try LanguageModel(path: draftPath), draftVocabulary: draftVocabulary, kvSlots: 2048,
            threads: 2)
        let stops = tokenizer.vocabulary.stopIDs
        let plain = try Equality.run(
            executor, stopTokens: stops, prompts: ids, batch: batch, maxNewTokens: maxNewTokens, speculation: nil)
        let speculated = try Equality.run(
            executor, stopTokens: stops, prompts: ids, batch: batch, maxNewTokens: maxNewTokens, speculation: Self.alwaysDraft)
        for index in ids.indices {
            #expect(speculated.outputs[index] == plain.outputs[index], "prompt \(index) at batch \(batch)")
            #expect(speculated.ends[index] == plain.ends[index], "prompt \(index) at batch \(batch)")
        }
        #expect(speculated.drafted > 0 && speculated.accepted > 0)
        #expect(speculated.widestDecode == min(batch, prompts.count))
    }

    @Test(arguments: [1, 8])
    func greedyOutputIsTheSameWithAModelDraftingForItself(batch: Int) throws {
        let path = try TestModel.path()
        try Self.check(model: path, draft: path, prompts: Equality.prompts, batch: batch, maxNewTokens: 48)
    }

    static let qwenPrompts = [
        "Rewrite this Python function so that it is called total instead of add:\n\ndef add(a, b):\n    result = a + b\n    return result\n",
        "Write a Python function that returns the largest of three numbers.",
        "What does the SQL keyword JOIN do?",
        "Rewrite this JavaScript so that it uses const instead of let:\n\nlet x = 1;\nlet y = x + 2;\nconsole.log(y);\n",
    ]

    @Test(arguments: [1, 8])
    func greedyOutputIsTheSameWithQwenCoderSmallDraftingForLarge(batch: Int) throws {
        let prompts = Self.qwenPrompts
        try Self.check(
            model: try TestModel.named("qwen2.5-coder-1.5b"), draft: try TestModel.named("qwen2.5-coder-0.5b"),
            prompts: batch == 1 ? Array(prompts.prefix(2)) : prompts + prompts, batch: batch, maxNewTokens: 24)
    }

    /// With the drafter's head cut to its 4,096 lowest ids, words it can no longer propose are
    /// simply not drafted: the model's outputs stay the same.
    @Test func greedyOutputIsTheSameWithTheDraftHeadPruned() throws {
        try Self.check(
            model: try TestModel.named("qwen2.5-coder-1.5b"), draft: try TestModel.named("qwen2.5-coder-0.5b"),
            draftVocabulary: 4096, prompts: Self.qwenPrompts + Self.qwenPrompts, batch: 8, maxNewTokens: 24)
    }
}
