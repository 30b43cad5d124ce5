import LightServeCore

/// The one place generation runs for both APIs: it submits a call's prompts, then either
/// collects every sequence into a ``GenerationResult`` or hands each token to the API's encoder
/// as a ``GenerationEvent``, watching the client's connection throughout (a client that leaves
/// cancels its requests at once).
struct Generation: Sendable {
    let support: HandlerSupport

    /// Sends every prompt of `call` into the pipeline; if one is refused at the door the others
    /// are withdrawn.
    func submit(_ call: GenerationCall, context: ServerRequestContext, endpoint: String) async throws -> SubmittedGeneration {
        var submitted: [RequestEvents] = []
        do {
            for prompt in call.prompts {
                submitted.append(try await support.pipeline.submit(
                    kind: .generate, input: prompt, options: call.options, context: context, endpoint: endpoint))
            }
        } catch {
            await support.cancel(submitted)
            throw error
        }
        return SubmittedGeneration(call: call, requests: submitted, support: support, context: context)
    }
}

/// A call's requests in the pipeline, read either way.
struct SubmittedGeneration: Sendable {
    let call: GenerationCall
    let requests: [RequestEvents]
    let support: HandlerSupport
    let context: ServerRequestContext

    private var returnCount: Int { call.options.returnCount }

    /// Waits until every prompt is admitted, so that a refusal is still a plain error answer
    /// before a stream's 200 goes out; the admitted call then streams.
    func admission() async throws -> AdmittedGeneration {
        let accepted = try await support.awaitAdmission(context, requests)
        return AdmittedGeneration(
            submitted: self, promptTokens: accepted.map(\.promptTokens), opensReasoning: accepted.map(\.opensReasoning))
    }

    /// Every sequence to its end; the `n` best of each prompt's `best_of` (by cumulative
    /// log-probability), read back.
    func collect() async throws -> GenerationResult {
        try await support.whileConnected(context, requests) {
            var result = GenerationResult(
                choices: [], promptTokens: Array(repeating: 0, count: requests.count),
                scoredPrompts: Array(repeating: [], count: requests.count), completionTokens: 0)
            for (p, events) in requests.enumerated() {
                var sequences = Array(repeating: SequenceTokens(), count: call.options.bestOf)
                var startsInReasoning = false
                while sequences.contains(where: { $0.finishReason == nil }), let event = await events.next() {
                    switch event {
                    case .accepted(let count, let opensReasoning):
                        result.promptTokens[p] = count
                        startsInReasoning = opensReasoning
                    case .promptTokens(let scored):
                        result.scoredPrompts[p] += scored
                    case .tokens(let tokens):
                        for token in tokens where sequences.indices.contains(token.sequence) {
                            sequences[token.sequence].add(token)
                        }
                    default:
                        try HandlerSupport.failIfTerminal(event)
                    }
                }
                guard sequences.allSatisfy({ $0.finishReason != nil }) else { throw CancellationError() }
                result.completionTokens += sequences.reduce(0) { $0 + $1.tokens.count }
                for (rank, sequence) in SequenceTokens.best(sequences, count: returnCount).enumerated() {
                    result.choices.append(GenerationResult.Choice(
                        index: p * returnCount + rank, prompt: p, text: sequence.text,
                        reading: OutputReader.read(sequence.text, as: call.output, startsInReasoning: startsInReasoning),
                        tokens: sequence.tokens,
                        finishReason: sequence.finishReason ?? .length))
                }
            }
            return result
        }
    }
}

/// A call whose prompts were all admitted, with what the pipeline said of each on admission.
struct AdmittedGeneration: Sendable {
    let submitted: SubmittedGeneration
    /// Each prompt's token count.
    let promptTokens: [Int]
    /// Per prompt, whether its output starts inside the model's reasoning block.
    let opensReasoning: [Bool]

    private var call: GenerationCall { submitted.call }
    private var requests: [RequestEvents] { submitted.requests }
    private var returnCount: Int { call.options.returnCount }

    /// Hands every token of every choice to `emit` as it arrives (choices of several prompts
    /// interleaved), until each choice has finished or the engine fails; the tokens generated.
    /// Streams return every sequence, so `best_of` equals `n` here.
    func stream(_ emit: (GenerationEvent) async throws -> Void) async throws -> Int {
        try await submitted.support.whileConnected(submitted.context, requests) {
            let (merged, continuation) = AsyncStream<(Int, RequestEvent?)>.makeStream()
            return try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                for (p, events) in requests.enumerated() {
                    group.addTask {
                        while let event = await events.next() { continuation.yield((p, event)) }
                        continuation.yield((p, nil))
                    }
                }
                var readers = (0..<requests.count * returnCount).map {
                    OutputReader(call.output, startsInReasoning: opensReasoning[$0 / returnCount])
                }
                var unfinished = readers.count
                var generated = 0
                for await (p, event) in merged {
                    guard let event else { throw CancellationError() }
                    switch event {
                    case .tokens(let tokens):
                        for token in tokens {
                            let index = p * returnCount + token.sequence
                            guard readers.indices.contains(index) else { continue }
                            generated += 1
                            var reading = readers[index].read(token.text)
                            if token.finishReason != nil {
                                reading.append(readers[index].finish())
                                unfinished -= 1
                            }
                            try await emit(.token(GenerationDelta(
                                choice: index, token: token, reading: reading, finishReason: token.finishReason)))
                        }
                    case .failed(let message), .rejected(.engineFailure(let message)):
                        try await emit(.failed(message))
                        return generated
                    default:
                        continue
                    }
                    if unfinished == 0 { break }
                }
                return generated
            }
        }
    }
}

/// One sequence's tokens as they are collected.
private struct SequenceTokens {
    var text = ""
    var tokens: [GeneratedToken] = []
    var logprobSum: Double = 0
    var finishReason: FinishReason?

    mutating func add(_ token: GeneratedToken) {
        text += token.text
        tokens.append(token)
        logprobSum += Double(token.logprob)
        if let reason = token.finishReason { finishReason = reason }
    }

    /// All sequences in order when every one is returned, otherwise the `count` best by
    /// cumulative log-probability, best first.
    static func best(_ sequences: [SequenceTokens], count: Int) -> [SequenceTokens] {
        guard count < sequences.count else { return sequences }
        return Array(sequences.enumerated().sorted { a, b in
            a.element.logprobSum != b.element.logprobSum ? a.element.logprobSum > b.element.logprobSum : a.offset < b.offset
        }.prefix(count).map(\.element))
    }
}
