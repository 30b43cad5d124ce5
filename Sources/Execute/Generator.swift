import Foundation
import LightServeCore

/// Runs one sequence from prompt to completion on the calling thread: a batched prefill, then
/// one decode step per token. The command line and the benchmarks use it; the server drives
/// ``ModelRunner`` through the scheduler instead.
public final class Generator {
    public let runner: ModelRunner
    /// Prompt tokens per prefill step; longer prompts are prefilled in chunks.
    public var prefillChunk = 512

    public struct Result: Sendable {
        public var promptIDs: [Int32]
        public var ids: [Int32]
        public var logprobs: [Float]
        /// Whether generation ended on a stop token (otherwise on the length limit).
        public var stoppedOnToken: Bool
        public var prefillSeconds: Double
        public var decodeSeconds: Double

        public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptIDs.count) / prefillSeconds : 0 }
        /// Decode rate over the tokens after the first (the first comes out of the prefill).
        public var decodeTokensPerSecond: Double {
            decodeSeconds > 0 && ids.count > 1 ? Double(ids.count - 1) / decodeSeconds : 0
        }
    }

    /// - Parameters:
    ///   - capacity: KV slots, the longest prompt plus generation this generator runs.
    ///   - kernels: the kernel build to run.
    public init(model: LanguageModel, capacity: Int, threads: Int, kernels: KernelSet = .preferred) throws(ExecuteError) {
        runner = try ModelRunner(model: model, kvSlots: capacity, threads: threads, kernels: kernels)
    }

    /// The kernel build this generator runs.
    public var kernels: KernelSet { runner.kernels }

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
        var sampler = Sampler(parameters: sampling, stopTokens: stopTokens)
        var result = Result(
            promptIDs: prompt, ids: [], logprobs: [], stoppedOnToken: false, prefillSeconds: 0, decodeSeconds: 0)
        guard maxNewTokens > 0 else { return result }

        let clock = ContinuousClock()
        let prefillStart = clock.now
        var position = 0
        var choice = Sampler.Choice(token: 0, logprob: 0)
        while position < prompt.count {
            let end = min(prompt.count, position + prefillChunk)
            let isLast = end == prompt.count
            let sequence = ForwardBatch.Sequence(
                tokens: Array(prompt[position..<end]), position: position, slots: slots, output: isLast ? .logits : .none)
            try runner.forward(ForwardBatch([sequence])) { outputs in
                if isLast, let logits = outputs.logits(0) { choice = sampler.sample(logits) }
            }
            position = end
        }
        result.prefillSeconds = (clock.now - prefillStart).seconds

        let decodeStart = clock.now
        while true {
            result.ids.append(choice.token)
            result.logprobs.append(choice.logprob)
            onToken(choice.token)
            if !sampling.ignoreEOS && stopTokens.contains(choice.token) {
                result.stoppedOnToken = true
                break
            }
            if result.ids.count == maxNewTokens { break }
            let sequence = ForwardBatch.Sequence(tokens: [choice.token], position: position, slots: slots)
            try runner.forward(ForwardBatch([sequence])) { outputs in
                choice = sampler.sample(outputs.logits(0)!)
            }
            position += 1
        }
        result.decodeSeconds = (clock.now - decodeStart).seconds
        return result
    }
}
