import LightServeCore

/// The Execute stage: owns the weights' runner, the KV tensors and the compute threads, and
/// runs each step it receives as one synchronous call on its own thread, sampling next to the
/// logits so only token ids travel back to the scheduler.
public actor ExecuteStage {
    private let executor: DedicatedThreadExecutor
    private let steps: StepExecutor
    private let results: StageSender<SchedulerMessage>
    private let load: PipelineLoad
    private let trace: TraceRecorder
    private var inbox: StageChannel<Step>?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// - Parameters:
    ///   - draftModel: the draft model of speculative decoding (`--draft-model`), if any.
    ///   - draftVocabulary: the lowest token ids its head computes (`--draft-vocabulary`), or nil
    ///     for all.
    ///   - kvSlots: token slots in the KV pool; must match the scheduler's.
    ///   - threads: compute threads, this stage's own thread included.
    /// - Throws: if the processor cannot run the kernels, the compute threads cannot start, or the
    ///   draft model's vocabulary is not the model's.
    public init(
        model: LanguageModel, draftModel: LanguageModel? = nil, draftVocabulary: Int? = nil, kvSlots: Int, threads: Int,
        inbox: consuming sending StageChannel<Step>, results: StageSender<SchedulerMessage>, load: PipelineLoad,
        trace: TraceRecorder
    ) throws(ExecuteError) {
        self.trace = trace
        self.executor = DedicatedThreadExecutor(name: "lightserve-execute")
        self.steps = try StepExecutor(
            model: model, draftModel: draftModel, draftVocabulary: draftVocabulary, kvSlots: kvSlots, threads: threads)
        self.inbox = .some(inbox)
        self.results = results
        self.load = load
    }

    /// What steps cost against their rows on this machine, and a draft model's token
    /// (``StepExecutor/measureStepCosts(upTo:rounds:)``), measured on the stage's thread: before it
    /// serves, for the scheduler to weigh drafts against.
    public func measureStepCosts(upTo maxRows: Int) throws -> StepCostProfile {
        try steps.measureStepCosts(upTo: maxRows)
    }

    /// Serves the inbox until the calling task is cancelled; from then on the engine reports
    /// itself unhealthy.
    public func run() async {
        guard var steps = inbox.take() else { return }
        while let step = await steps.next() {
            let start = ContinuousClock.now
            let message = execute(step)
            if trace.isEnabled {
                let decode = step.rows.filter(\.isDecode).count
                let drafted = step.rows.reduce(0) { $0 + $1.draftedCount }
                var fields = [
                    ("rows", "\(step.rows.count)"), ("tokens", "\(step.tokenCount)"), ("decode_rows", "\(decode)"),
                    ("prefill_tokens", "\(step.tokenCount - decode - drafted)"),
                ]
                if drafted > 0 { fields.append(("draft_slots", "\(drafted)")) }
                if case .stepCompleted(let result) = message {
                    if let (proposed, accepted) = result.speculation {
                        fields += [("drafted", "\(proposed)"), ("accepted", "\(accepted)")]
                    }
                    // The draft model's part of the step, to tell its passes from the model's.
                    if result.draftDuration > .zero {
                        fields.append(("draft_ms", "\((result.draftDuration.seconds * 100_000).rounded() / 100)"))
                    }
                }
                trace.record(.stage("execute"), "step \(step.number)", from: start, to: .now, fields)
            }
            try? await results.send(message)
        }
        load.markEngineFailed()
    }

    private func execute(_ step: Step) -> SchedulerMessage {
        do {
            return .stepCompleted(try steps.run(step))
        } catch {
            return .stepFailed(step: step.number, message: "\(error)")
        }
    }
}
