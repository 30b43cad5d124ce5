import LightServeCore

/// The Schedule stage: owns the waiting line, the running batch and the KV slot pool (inside
/// its ``SchedulerStateMachine``), reacts to its inbox one message at a time, and publishes the
/// load figures after each.
public actor SchedulerStage {
    private var machine: SchedulerStateMachine
    private let steps: StageSender<Step>
    private let tokens: StageSender<TokenBatch>
    private let load: PipelineLoad
    private let trace: TraceRecorder
    private var inbox: StageChannel<SchedulerMessage>?
    /// The step Execute runs now and when it was sent, for the requests' trace spans.
    private var inFlight: (step: Step, sentAt: ContinuousClock.Instant)?

    public init(
        configuration: SchedulerConfiguration, inbox: consuming sending StageChannel<SchedulerMessage>,
        steps: StageSender<Step>, tokens: StageSender<TokenBatch>, load: PipelineLoad, trace: TraceRecorder
    ) {
        self.machine = SchedulerStateMachine(configuration: configuration)
        self.inbox = .some(inbox)
        self.steps = steps
        self.tokens = tokens
        self.load = load
        self.trace = trace
    }

    /// Serves the inbox until the calling task is cancelled.
    public func run() async {
        guard var inbox = inbox.take() else { return }
        load.publish(machine.snapshot)
        while let message = await inbox.next() {
            let actions: [SchedulerStateMachine.Action]
            switch message {
            case .admit(let admission):
                actions = machine.admit(admission)
            case .cancel(let id):
                actions = machine.cancel(id)
            case .stepCompleted(let result):
                traceStep(result.number, result)
                actions = machine.stepCompleted(result)
            case .stopSequence(let id):
                actions = machine.stopSequence(id)
            case .stepFailed(let number, let message):
                traceStep(number)
                actions = machine.stepFailed(number, message: message)
            case .flushPrefixCache(let reply):
                reply.finish(freedSlots: machine.flushPrefixCache())
                actions = []
            }
            await perform(actions)
            load.publish(machine.snapshot)
        }
    }

    /// A span per request for its part in the step that just returned: prefill chunk or decode,
    /// with the tokens it drafted and had accepted when it speculated.
    private func traceStep(_ number: UInt64, _ result: StepResult? = nil) {
        guard let (step, sentAt) = inFlight, step.number == number else { return }
        inFlight = nil
        guard trace.isEnabled else { return }
        let now = ContinuousClock.now
        let batch = [("step", "\(number)"), ("batch_rows", "\(step.rows.count)"), ("batch_tokens", "\(step.tokenCount)")]
        for (index, row) in step.rows.enumerated() {
            var fields = batch + [("tokens", "\(row.runLength)"), ("sequence", "\(row.sequence.index)")]
            if let result, result.outcomes.indices.contains(index),
                case .speculated(_, let accepted, let drafted, _) = result.outcomes[index]
            {
                fields += [("drafted", "\(drafted)"), ("accepted", "\(accepted)")]
            }
            trace.record(.request(row.sequence.request), row.isDecode ? "decode" : "prefill", from: sentAt, to: now, fields)
        }
    }

    private func perform(_ actions: [SchedulerStateMachine.Action]) async {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .accept(let request, let promptTokens, let opensReasoning):
                // A client that left before its request got here is dropped on the spot.
                if !request.events.yield(.accepted(promptTokens: promptTokens, opensReasoning: opensReasoning)) {
                    queue.append(contentsOf: machine.cancel(request.id))
                }
            case .reject(let request, let error):
                request.events.yield(.rejected(error))
            case .runStep(let step):
                inFlight = (step, .now)
                do {
                    try await steps.send(step)
                } catch {
                    inFlight = nil
                    queue.append(contentsOf: machine.stepFailed(step.number, message: "the engine is not running"))
                }
            case .emit(let batch):
                do {
                    try await tokens.send(batch)
                } catch {
                    // No Detokenize to deliver them: end each request here rather than leave it silent.
                    for case .token(let request, _, _, _, _, _) in batch.entries {
                        request.events.yield(.failed("the detokenizer is not running"))
                    }
                }
            case .preempted(let request):
                trace.record(.request(request.id), "preempted", from: .now, to: .now)
            case .speculationEnded(let sequence, let drafted, let accepted):
                trace.record(
                    .request(sequence.request), "speculation", from: .now, to: .now,
                    [("sequence", "\(sequence.index)"), ("drafted", "\(drafted)"), ("accepted", "\(accepted)")])
            case .releaseWaitingPlaces(let count):
                for _ in 0..<count { load.releaseWaitingPlace() }
            case .admitted(let request, let since):
                trace.record(.request(request.id), "queued (admission)", from: since)
                trace.record(.stage("schedule"), "admit", from: .now, to: .now, [("request", "\(request.id)")])
            }
        }
    }
}
