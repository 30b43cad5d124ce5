import Execute
import LightServeCore
import TestSupport
import Testing
import Tokenize

/// `Generator` with speculation, as `lightserve generate` and `lightserve-bench speculative` run
/// it: the output is plain decoding's, and what it reports of its steps and of the draft model's
/// time adds up.
@Suite(.serialized) struct GeneratorSpeculationTests {
    @Test func aDraftModelsTimeAndStepsAreAccountedForAndTheOutputIsPlain() throws {
        let path = try TestModel.path()
        let model = try LanguageModel(path: path)
        let tokenizer = try Tokenizer(gguf: model.file)
        let prompt = tokenizer.encode(
            "<|im_start|>user\n\(SpeculativeGreedyEqualityTests.prompts[1])<|im_end|>\n<|im_start|>assistant\n")
        let generator = try Generator(
            model: model, draftModel: try LanguageModel(path: path), capacity: prompt.count + 64, threads: 2)
        let stops = tokenizer.vocabulary.stopIDs
        let plain = try generator.generate(prompt: prompt, maxNewTokens: 40, stopTokens: stops)
        generator.speculation = SpeculativeDecoding(drafter: .draftModel, lengths: .fixed(4))
        let drafted = try generator.generate(prompt: prompt, maxNewTokens: 40, stopTokens: stops)

        #expect(drafted.ids == plain.ids)
        #expect(drafted.draftedTokens > 0 && drafted.acceptedTokens > 0)
        // One entry per decode step, whose rows are its token and the drafts it verified.
        #expect(drafted.stepTimes.count == drafted.decodeSteps)
        #expect(drafted.stepTimes.reduce(0) { $0 + $1.rows } == drafted.decodeSteps + drafted.draftedTokens)
        #expect(drafted.stepTimes.allSatisfy { $0.seconds > 0 })
        // The drafter's first step catches up on the whole prompt; its time is part of decoding's.
        #expect(drafted.draftCatchUpTokens >= prompt.count)
        #expect(drafted.draftFirstStepSeconds > 0 && drafted.draftFirstStepSeconds <= drafted.draftSeconds)
        #expect(drafted.draftSeconds < drafted.decodeSeconds)

        #expect(plain.draftSeconds == 0 && plain.draftCatchUpTokens == 0 && plain.draftFirstStepSeconds == 0)
        #expect(plain.stepTimes.count == plain.decodeSteps && plain.stepTimes.allSatisfy { $0.rows == 1 })
    }
}
