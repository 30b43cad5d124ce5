import Execute
import LightServeCore
import Schedule
import TestSupport
import Testing
import Tokenize

/// Speculative decoding changes nothing a greedy request gets: through the scheduler and the
/// engine on a real model, every request's tokens (and how it ended) are those it gets without
/// speculation, one request at a time and eight at once.
@Suite(.serialized) struct SpeculativeGreedyEqualityTests {
    /// Rewrites that repeat much of their prompt (prompt lookup's case) and open questions.
    static let prompts = [
        "Repeat this sentence exactly: The quick brown fox jumps over the lazy dog near the river bank.",
        "Rewrite this Python function so that it is called total instead of add:\n\ndef add(a, b):\n    result = a + b\n    return result\n",
        "Copy this list: apples, pears, plums, cherries, grapes, lemons, oranges, limes.",
        "What is the capital of France?",
        "Write a haiku about the sea.",
        "Rewrite this sentence in the past tense: I walk to the market and I buy fresh bread every morning.",
        "List the numbers from one to twelve in words, separated by commas.",
        "Explain in one sentence what a compiler does.",
    ]

    /// Drafts whenever prompt lookup finds a match: a flat step cost makes any length pay.
    static let alwaysDraft = SpeculativeDecoding(
        drafter: .promptLookup(PromptLookup()),
        lengths: DraftLengthPolicy(maxTokens: 6, costs: StepCostProfile(rows: [1, 64], costs: [1, 1])))

    struct Run {
        var outputs: [[Int32]]
        var ends: [SequenceEnd?]
        var drafted = 0
        var accepted = 0
        var widestDecode = 0
    }

    static func run(
        _ executor: StepExecutor, stopTokens: [Int32], prompts: [[Int32]], batch: Int, maxNewTokens: Int,
        speculation: SpeculativeDecoding?
    ) throws -> Run {
        let configuration = SchedulerConfiguration(
            kvCapacity: executor.runner.cache.capacity, maxRunningSequences: batch, batchMaxTokens: 256,
            stopTokens: stopTokens, speculation: speculation)
        var driver = SchedulerDriver(configuration: configuration, executor: executor)
        let admissions = prompts.map { prompt in
            Admission(
                request: GenerationRequest(
                    input: .tokens(prompt), options: GenerationOptions(maxNewTokens: maxNewTokens),
                    events: RequestEventSink.makeStream().sink),
                promptIDs: prompt)
        }
        try driver.run(admissions)
        var run = Run(
            outputs: admissions.map { driver.outputs[$0.request.id] ?? [] },
            ends: admissions.map { driver.ends[$0.request.id] })
        for admission in admissions {
            let record = driver.speculation[admission.request.id]
            run.drafted += record?.drafted ?? 0
            run.accepted += record?.accepted ?? 0
        }
        run.widestDecode = driver.widestDecode
        #expect(driver.machine.usedSlots == 0, "every slot returns once the requests end")
        return run
    }

    @Test(arguments: [1, 8])
    func greedyOutputIsTokenForTokenTheSameWithPromptLookup(batch: Int) throws {
        let model = try LanguageModel(path: try TestModel.path())
        let tokenizer = try Tokenizer(gguf: model.file)
        let prompts = Self.prompts.map {
            tokenizer.encode("<|im_start|>user\n\($0)<|im_end|>\n<|im_start|>assistant\n")
        }
        let executor = try StepExecutor(model: model, kvSlots: 2048, threads: 2)
        let stops = tokenizer.vocabulary.stopIDs
        let plain = try Self.run(
            executor, stopTokens: stops, prompts: prompts, batch: batch, maxNewTokens: 48, speculation: nil)
        let speculated = try Self.run(
            executor, stopTokens: stops, prompts: prompts, batch: batch, maxNewTokens: 48, speculation: Self.alwaysDraft)
        for index in prompts.indices {
            #expect(speculated.outputs[index] == plain.outputs[index], "prompt \(index) at batch \(batch)")
            #expect(speculated.ends[index] == plain.ends[index], "prompt \(index) at batch \(batch)")
        }
        #expect(plain.drafted == 0)
        // The test means something only if drafts were made and some were accepted.
        #expect(speculated.drafted > 0 && speculated.accepted > 0)
        #expect(speculated.widestDecode == min(batch, prompts.count))
    }
}
