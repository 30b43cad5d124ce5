import Execute
import LightServeCore
import Schedule

/// The Schedule and Execute stages in one loop on the calling thread: the scheduler's state
/// machine decides every step, a ``StepExecutor`` runs it, and each request's tokens are
/// collected as Detokenize would receive them.
struct SchedulerDriver {
    var machine: SchedulerStateMachine
    let executor: StepExecutor
    /// Each request's tokens in the order they were emitted, and how it ended.
    var outputs: [RequestID: [Int32]] = [:]
    var ends: [RequestID: SequenceEnd] = [:]
    /// Each request's drafted and accepted tokens, from the scheduler's record when it left.
    var speculation: [RequestID: (drafted: Int, accepted: Int)] = [:]
    var stepsRun = 0
    /// The largest number of rows that decoded in one step.
    var widestDecode = 0
    private var next: Step?

    init(configuration: SchedulerConfiguration, executor: StepExecutor) {
        machine = SchedulerStateMachine(configuration: configuration)
        self.executor = executor
    }

    /// Admits every request (they join the running batch as room allows), then runs steps until
    /// none is left.
    mutating func run(_ admissions: [Admission]) throws {
        for admission in admissions { take(machine.admit(admission)) }
        while let step = next {
            next = nil
            widestDecode = max(widestDecode, step.rows.filter(\.isDecode).count)
            let result = try executor.run(step)
            stepsRun += 1
            take(machine.stepCompleted(result))
        }
    }

    private mutating func take(_ actions: [SchedulerStateMachine.Action]) {
        for action in actions {
            switch action {
            case .runStep(let step):
                next = step
            case .emit(let batch):
                for case .token(let request, _, let id, _, _, let end) in batch.entries {
                    outputs[request.id, default: []].append(id)
                    if let end { ends[request.id] = end }
                }
            case .speculationEnded(let sequence, let drafted, let accepted):
                speculation[sequence.request] = (drafted, accepted)
            default:
                break
            }
        }
    }
}
