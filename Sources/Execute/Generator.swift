import Foundation
import LightServeCore

/// Runs one sequence from prompt to completion on the calling thread: a batched prefill, then
/// one decode step per token, or with ``speculation`` one step per verified draft. The command
/// line and the benchmarks use it; the server drives a ``StepExecutor`` through the scheduler
/// instead, and both draft through the same ``SequenceSpeculation``.
public final class Generator {
    public let executor: StepExecutor
    /// Prompt tokens per prefill step; longer prompts are prefilled in chunks.
    public var prefillChunk = 512
    /// Speculative decoding, or nil for one token per decode step. A draft model must have been
    /// given at init to draft with one.
    public var speculation: SpeculativeDecoding?

    public var runner: ModelRunner { executor.runner }

    public struct Result: Sendable {
        public var promptIDs: [Int32]
        public var ids: [Int32]
        public var logprobs: [Float]
        /// Whether generation ended on a stop token (otherwise on the length limit).
        public var stoppedOnToken: Bool
        public var prefillSeconds: Double
        public var decodeSeconds: Double
        /// Decode steps run (each yields one token, or a verified draft and the token after it).
        public var decodeSteps = 0
        /// Tokens drafted, and how many of them the model accepted.
        public var draftedTokens = 0
        public var acceptedTokens = 0
        /// Of ``decodeSeconds``, the time the draft model spent proposing, and the tokens it ran
        /// to catch up before proposing (the prompt when the sequence first drafts, then the
        /// tokens of each verified step it had not seen).
        public var draftSeconds = 0.0
        public var draftCatchUpTokens = 0
        /// Of ``draftSeconds``, the first drafting step's: the drafter's pass over the prompt and
        /// that step's proposals.
        public var draftFirstStepSeconds = 0.0
        /// Every decode step's rows (its token and the drafted ones verified) and the time of the
        /// model's pass over them (the draft model's excluded), in order.
        public var stepTimes: [(rows: Int, seconds: Double)] = []

        public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptIDs.count) / prefillSeconds : 0 }
        /// Decode rate over the tokens after the first (the first comes out of the prefill).
        public var decodeTokensPerSecond: Double {
            decodeSeconds > 0 && ids.count > 1 ? Double(ids.count - 1) / decodeSeconds : 0
        }
        /// Accepted drafted tokens over drafted ones (0 when nothing was drafted).
        public var acceptanceRate: Double { draftedTokens > 0 ? Double(acceptedTokens) / Double(draftedTokens) : 0 }
    }

    /// - Parameters:
    ///   - draftModel: a draft model for ``speculation`` to draft with (its vocabulary must be the
    ///     model's).
    ///   - draftVocabulary: the lowest token ids its head computes, or nil for all
    ///     (`--draft-vocabulary`).
    ///   - capacity: KV slots, the longest prompt plus generation this generator runs.
    ///   - kernels: the kernel build to run.
    public init(
        model: LanguageModel, draftModel: LanguageModel? = nil, draftVocabulary: Int? = nil, capacity: Int, threads: Int,
        kernels: KernelSet = .preferred
    ) throws(ExecuteError) {
        executor = try StepExecutor(
            model: model, draftModel: draftModel, draftVocabulary: draftVocabulary, kvSlots: capacity, threads: threads,
            kernels: kernels)
    }

    /// The kernel build this generator runs.
    public var kernels: KernelSet { executor.kernels }

    /// Generates up to `maxNewTokens` tokens after `prompt`, calling `onToken` as each arrives.
    public func generate(
        prompt: [Int32], maxNewTokens: Int, sampling: SamplingParameters = .greedy, stopTokens: [Int32] = [],
        onToken: (Int32) -> Void = { _ in }
    ) throws -> Result {
        guard !prompt.isEmpty else { throw ExecuteError.invalidBatch("the prompt is empty") }
        let total = prompt.count + maxNewTokens
        guard total <= runner.cache.capacity else {
            throw ExecuteError.invalidBatch(
                "prompt of \(prompt.count) plus \(maxNewTokens) new tokens exceeds the \(runner.cache.capacity)-slot cache")
        }
        let slots = (0..<Int32(total)).map { $0 }
        let id = SequenceID(request: RequestID.next(), index: 0)
        var state = SamplingState(parameters: sampling, stopTokens: stopTokens)
        var result = Result(
            promptIDs: prompt, ids: [], logprobs: [], stoppedOnToken: false, prefillSeconds: 0, decodeSeconds: 0)
        guard maxNewTokens > 0 else { return result }

        let clock = ContinuousClock()
        let prefillStart = clock.now
        var position = 0
        var produced: [SampledToken] = []
        var number: UInt64 = 0
        while position < prompt.count {
            let end = min(prompt.count, position + prefillChunk)
            let row = Step.Row(
                sequence: id, tokens: Array(prompt[position..<end]), position: position, slots: slots,
                output: end == prompt.count ? .sample(state) : .none)
            number += 1
            if case .sampled(let token, let logprob, let alternatives, let next) = try executor.run(Step(number: number, rows: [row])).outcomes.first {
                produced = [SampledToken(token: token, logprob: logprob, alternatives: alternatives)]
                state = next
            }
            position = end
        }
        result.prefillSeconds = (clock.now - prefillStart).seconds

        let decodeStart = clock.now
        var history = prompt
        var speculation = SequenceSpeculation()
        var draftedWithModel = false
        decoding: while true {
            for token in produced {
                result.ids.append(token.token)
                result.logprobs.append(token.logprob)
                history.append(token.token)
                onToken(token.token)
                if !sampling.ignoreEOS && stopTokens.contains(token.token) {
                    result.stoppedOnToken = true
                    break decoding
                }
                if result.ids.count == maxNewTokens { break decoding }
            }
            var row = Step.Row(
                sequence: id, tokens: [history[history.count - 1]], position: history.count - 1, slots: slots,
                output: .sample(state))
            if let configuration = self.speculation,
                let (tokens, draft) = speculation.plan(
                    configuration, history: history, limit: maxNewTokens - result.ids.count - 1, decodingRows: 1)
            {
                row.tokens += tokens
                row.draft = draft
            }
            number += 1
            result.decodeSteps += 1
            let step = try executor.run(Step(number: number, rows: [row]))
            if case .model(_, let catchUp) = row.draft {
                if !draftedWithModel { result.draftFirstStepSeconds = step.draftDuration.seconds }
                draftedWithModel = true
                result.draftCatchUpTokens += catchUp.count
            }
            result.draftSeconds += step.draftDuration.seconds
            let modelSeconds = (step.duration - step.draftDuration).seconds
            switch step.outcomes.first {
            case .sampled(let token, let logprob, let alternatives, let next):
                result.stepTimes.append((1, modelSeconds))
                produced = [SampledToken(token: token, logprob: logprob, alternatives: alternatives)]
                state = next
            case .speculated(let tokens, let accepted, let drafted, let next):
                result.stepTimes.append((1 + drafted, modelSeconds))
                if let draft = row.draft {
                    speculation.record(draft, position: row.position, drafted: drafted, accepted: accepted)
                }
                result.draftedTokens += drafted
                result.acceptedTokens += accepted
                produced = tokens
                state = next
            default:
                throw ExecuteError.invalidBatch("decode step \(number) sampled no token")
            }
        }
        result.decodeSeconds = (clock.now - decodeStart).seconds
        return result
    }
}
