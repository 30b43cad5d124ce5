import LightServeCore

/// The Schedule stage: owns the waiting line, the running batch and the KV slot pool (inside
/// its ``SchedulerStateMachine``), reacts to its inbox one message at a time, and publishes the
/// load figures after each.
public actor SchedulerStage {
    private var machine: SchedulerStateMachine
    private let steps: StageSender<Step>
    private let tokens: StageSender<TokenBatch>
    private let load: PipelineLoad
    private var inbox: StageChannel<SchedulerMessage>?

    public init(
        configuration: SchedulerConfiguration, inbox: consuming sending StageChannel<SchedulerMessage>,
        steps: StageSender<Step>, tokens: StageSender<TokenBatch>, load: PipelineLoad
    ) {
        self.machine = SchedulerStateMachine(configuration: configuration)
        self.inbox = .some(inbox)
        self.steps = steps
        self.tokens = tokens
        self.load = load
    }

    /// Serves the inbox until the calling task is cancelled.
    public func run() async {
        guard var inbox = inbox.take() else { return }
        load.publish(machine.snapshot)
        while let message = await inbox.next() {
            let actions: [SchedulerStateMachine.Action] =
                switch message {
                case .admit(let admission): machine.admit(admission)
                case .cancel(let id): machine.cancel(id)
                case .stepCompleted(let result): machine.stepCompleted(result)
                case .stopSequence(let id): machine.stopSequence(id)
                case .stepFailed(let number, let message): machine.stepFailed(number, message: message)
                }
            await perform(actions)
            load.publish(machine.snapshot)
        }
    }

    private func perform(_ actions: [SchedulerStateMachine.Action]) async {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .accept(let request, let promptTokens):
                // A client that left before its request got here is dropped on the spot.
                if !request.events.yield(.accepted(promptTokens: promptTokens)) {
                    queue.append(contentsOf: machine.cancel(request.id))
                }
            case .reject(let request, let error):
                request.events.yield(.rejected(error))
            case .runStep(let step):
                try? await steps.send(step)
            case .emit(let batch):
                try? await tokens.send(batch)
            case .releaseWaitingPlaces(let count):
                for _ in 0..<count { load.releaseWaitingPlace() }
            }
        }
    }
}
