import LightServeCore

/// The Execute stage: owns the weights' runner, the KV tensors and the compute threads, and
/// runs each step it receives as one synchronous call on its own thread, sampling next to the
/// logits so only token ids travel back to the scheduler.
public actor ExecuteStage {
    private let executor: DedicatedThreadExecutor
    private let runner: ModelRunner
    private let results: StageSender<SchedulerMessage>
    private let load: PipelineLoad
    private let trace: TraceRecorder
    private var inbox: StageChannel<Step>?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// - Parameters:
    ///   - kvSlots: token slots in the KV pool; must match the scheduler's.
    ///   - threads: compute threads, this stage's own thread included.
    /// - Throws: if the processor cannot run the kernels or the compute threads cannot start.
    public init(
        model: LanguageModel, kvSlots: Int, threads: Int, inbox: consuming sending StageChannel<Step>,
        results: StageSender<SchedulerMessage>, load: PipelineLoad, trace: TraceRecorder
    ) throws(ExecuteError) {
        self.trace = trace
        self.executor = DedicatedThreadExecutor(name: "lightserve-execute")
        self.runner = try ModelRunner(model: model, kvSlots: kvSlots, threads: threads)
        self.inbox = .some(inbox)
        self.results = results
        self.load = load
    }

    /// Serves the inbox until the calling task is cancelled; from then on the engine reports
    /// itself unhealthy.
    public func run() async {
        guard var steps = inbox.take() else { return }
        while let step = await steps.next() {
            let start = ContinuousClock.now
            let message = execute(step)
            if trace.isEnabled {
                let decode = step.rows.filter { $0.tokens.count == 1 && $0.position > 0 }.count
                trace.record(
                    .stage("execute"), "step \(step.number)", from: start, to: .now,
                    [("rows", "\(step.rows.count)"), ("tokens", "\(step.tokenCount)"), ("decode_rows", "\(decode)"),
                     ("prefill_tokens", "\(step.tokenCount - decode)")])
            }
            try? await results.send(message)
        }
        load.markEngineFailed()
    }

    private func execute(_ step: Step) -> SchedulerMessage {
        let clock = ContinuousClock()
        let start = clock.now
        let batch = ForwardBatch(step.rows.map { row in
            let output: ForwardBatch.Output
            switch row.output {
            case .none: output = .none
            case .sample: output = .logits
            case .score: output = .score
            }
            return ForwardBatch.Sequence(
                tokens: row.tokens, position: row.position, slots: row.slots, output: output, promptScoring: row.promptScoring)
        })
        do {
            var promptLogprobs: [Int: [PromptLogprob]] = [:]
            let outcomes = try runner.forward(batch) { outputs in
                try step.rows.enumerated().map { index, row throws(ExecuteError) -> StepResult.Outcome in
                    if let scored = outputs.promptLogprobs(index) { promptLogprobs[index] = scored }
                    switch row.output {
                    case .none:
                        return .none
                    case .score:
                        return .scored(outputs.score(index) ?? .nan)
                    case .sample(let state):
                        guard let logits = outputs.logits(index) else {
                            throw ExecuteError.invalidBatch("row \(index) asked for a token but produced no logits")
                        }
                        var sampler = Sampler(state: state)
                        let choice = sampler.sample(logits)
                        return .sampled(
                            token: choice.token, logprob: choice.logprob, alternatives: choice.alternatives, state: sampler.state)
                    }
                }
            }
            return .stepCompleted(StepResult(
                number: step.number, outcomes: outcomes, promptLogprobs: promptLogprobs, duration: clock.now - start))
        } catch {
            return .stepFailed(step: step.number, message: "\(error)")
        }
    }
}
