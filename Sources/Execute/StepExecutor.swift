import LightServeCore

/// Runs the scheduler's steps: the draft model's proposals for the rows that draft with it, one
/// forward pass of the model over every row (each drafting row's token and draft together), then
/// the sampler next to the logits: one token per sampling row, or a verified draft and the token
/// after it. The Execute stage runs it on its thread; `lightserve generate` drives it directly.
///
/// Confined to one thread like the ``ModelRunner``s it owns; deliberately not `Sendable`.
public final class StepExecutor {
    public let runner: ModelRunner
    let drafter: DraftModel?

    /// - Parameters:
    ///   - draftModel: the draft model of speculative decoding, if rows will draft with one; its
    ///     vocabulary must be the model's.
    ///   - draftVocabulary: the lowest token ids the draft model's head computes, or nil for all
    ///     (``HeadVocabulary``, `--draft-vocabulary`).
    ///   - kvSlots: token slots in the KV pool; each holds both models' keys and values.
    ///   - threads: compute threads, the calling one included; the draft model shares them.
    /// - Throws: if the processor cannot run the kernels, the compute threads cannot start, or the
    ///   draft model's vocabulary differs from the model's.
    public init(
        model: LanguageModel, draftModel: LanguageModel? = nil, draftVocabulary: Int? = nil, kvSlots: Int, threads: Int,
        kernels: KernelSet = .preferred
    ) throws(ExecuteError) {
        let runner = try ModelRunner(model: model, kvSlots: kvSlots, threads: threads, kernels: kernels)
        self.runner = runner
        drafter = try draftModel.map { model throws(ExecuteError) in
            try DraftModel(model: model, beside: runner, vocabulary: draftVocabulary)
        }
    }

    /// The kernel build the models run.
    public var kernels: KernelSet { runner.kernels }

    /// Runs `step` and returns what each row produced.
    public func run(_ step: Step) throws -> StepResult {
        let clock = ContinuousClock()
        let start = clock.now
        let drafts = try proposals(for: step)
        let draftDuration = drafts.isEmpty ? Duration.zero : clock.now - start
        let batch = ForwardBatch(step.rows.enumerated().map { index, row in
            let output: ForwardBatch.Output
            switch row.output {
            case .none: output = .none
            case .sample: output = row.draft == nil ? .logits : .everyToken
            case .score: output = .score
            }
            return ForwardBatch.Sequence(
                tokens: row.tokens + (drafts[index]?.tokens ?? []), position: row.position, slots: row.slots, output: output,
                promptScoring: row.promptScoring)
        })
        var promptLogprobs: [Int: [PromptLogprob]] = [:]
        let outcomes = try runner.forward(batch) { outputs in
            try step.rows.enumerated().map { index, row throws(ExecuteError) -> StepResult.Outcome in
                if let scored = outputs.promptLogprobs(index) { promptLogprobs[index] = scored }
                switch row.output {
                case .none:
                    return .none
                case .score:
                    return .scored(outputs.score(index) ?? .nan)
                case .sample(let state) where row.draft == nil:
                    guard let logits = outputs.logits(index) else {
                        throw ExecuteError.invalidBatch("row \(index) asked for a token but produced no logits")
                    }
                    var sampler = Sampler(state: state)
                    let choice = sampler.sample(logits)
                    return .sampled(
                        token: choice.token, logprob: choice.logprob, alternatives: choice.alternatives, state: sampler.state)
                case .sample(let state):
                    let draft = drafts[index] ?? DraftModel.Proposals(tokens: Array(row.tokens.dropFirst()))
                    return try Self.verify(draft, row: index, state: state, outputs)
                }
            }
        }
        return StepResult(number: step.number, outcomes: outcomes, promptLogprobs: promptLogprobs, duration: clock.now - start,
            draftDuration: draftDuration)
    }

    /// Measures what a step of the model costs against its rows on this machine, and what a
    /// token of the draft model costs, for speculative decoding to weigh its drafts against:
    /// steps of one sequence verifying `rows - 1` tokens after 128 positions of context. Each
    /// round times every row count and the draft model's token once, as ratios to that round's
    /// one-row step, and each ratio is the median of the rounds': a shared machine's slow spells
    /// last seconds, so a ratio of two steps timed moments apart holds where each step's time
    /// does not (timed one count after another, twice each, the 1.5B's 4-row step read 2.07 and
    /// 2.73 one-row steps in two runs of one day). It writes keys and values into the first
    /// slots of the pool, so it runs before any sequence holds them.
    public func measureStepCosts(upTo maxRows: Int = 64, rounds: Int = 3) throws -> StepCostProfile {
        let context = min(128, runner.cache.capacity / 2)
        let widest = min(maxRows, runner.cache.capacity - context)
        let counts = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64].filter { $0 <= widest }
        guard !counts.isEmpty else { throw ExecuteError.invalidBatch("a KV pool of \(runner.cache.capacity) slots is too small to measure steps in") }
        let vocabulary = runner.model.configuration.vocabularySize
        let tokens = (0..<(context + widest)).map { Int32(($0 * 7919 + 13) % vocabulary) }
        let slots = (0..<Int32(context + widest)).map { $0 }
        let clock = ContinuousClock()
        func seconds(_ runner: ModelRunner, rows: Int) throws -> Double {
            let sequence = ForwardBatch.Sequence(
                tokens: Array(tokens[context..<(context + rows)]), position: context, slots: slots,
                output: rows == 1 ? .logits : .everyToken)
            let start = clock.now
            try runner.forward(ForwardBatch([sequence])) { _ in }
            return (clock.now - start).seconds
        }
        for model in [runner] + (drafter.map { [$0.runner] } ?? []) {
            let prompt = ForwardBatch.Sequence(
                tokens: Array(tokens[0..<context]), position: 0, slots: slots, output: .none)
            try model.forward(ForwardBatch([prompt])) { _ in }
        }
        var ratios = [[Double]](repeating: [], count: counts.count)
        var draftRatios: [Double] = []
        for _ in 0..<max(1, rounds) {
            let one = try seconds(runner, rows: 1)
            for (index, count) in counts.enumerated() {
                ratios[index].append(count == 1 ? 1 : try seconds(runner, rows: count) / one)
            }
            if let drafter { draftRatios.append(try seconds(drafter.runner, rows: 1) / one) }
        }
        func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
        return StepCostProfile(rows: counts, costs: ratios.map(median), draftTokenCost: median(draftRatios))
    }

    /// The draft model's proposals for the rows that draft with it, by row index.
    private func proposals(for step: Step) throws -> [Int: DraftModel.Proposals] {
        let drafting = step.rows.indices.filter {
            if case .model = step.rows[$0].draft { return true }
            return false
        }
        guard !drafting.isEmpty else { return [:] }
        guard let drafter else { throw ExecuteError.invalidBatch("a row drafts with a draft model, and none is loaded") }
        let proposals = try drafter.propose(drafting.map { step.rows[$0] })
        return Dictionary(uniqueKeysWithValues: zip(drafting, proposals))
    }

    /// Walks a drafted row's positions: each drafted token is verified against the model's
    /// logits at the position before it, until one is rejected (the token chosen in its place
    /// ends the walk), an accepted end-of-sequence token ends the sequence, or every drafted token
    /// stood and the token after them is sampled.
    private static func verify(
        _ draft: DraftModel.Proposals, row index: Int, state: SamplingState, _ outputs: ModelRunner.Outputs
    ) throws(ExecuteError) -> StepResult.Outcome {
        var sampler = Sampler(state: state)
        var tokens: [SampledToken] = []
        var acceptedCount = 0
        for position in 0...draft.tokens.count {
            guard let logits = outputs.logits(index, token: position) else {
                throw .invalidBatch("row \(index) verifies a draft but produced no logits at its token \(position)")
            }
            if position == draft.tokens.count {
                let choice = sampler.sample(logits)
                tokens.append(SampledToken(token: choice.token, logprob: choice.logprob, alternatives: choice.alternatives))
                break
            }
            let (choice, accepted) =
                draft.probabilities.isEmpty
                ? sampler.verify(logits, drafted: draft.tokens[position], proposal: .certain)
                : draft.probabilities[position].withUnsafeBufferPointer {
                    sampler.verify(logits, drafted: draft.tokens[position], proposal: .distribution($0))
                }
            tokens.append(SampledToken(token: choice.token, logprob: choice.logprob, alternatives: choice.alternatives))
            guard accepted else { break }
            acceptedCount += 1
            if state.stopTokens.contains(choice.token)
                && (!state.parameters.ignoreEOS || sampler.state.constraint?.isTerminated == true)
            {
                break
            }
        }
        return .speculated(tokens: tokens, accepted: acceptedCount, drafted: draft.tokens.count, state: sampler.state)
    }
}
