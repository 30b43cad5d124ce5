import Dispatch
import Synchronization

/// A task executor that runs a task's first job and holds every later one until ``release()``:
/// the task starts, runs to its first suspension, and cannot go on, like a task in a process
/// whose every cooperative thread is busy. Lets a test show what happens meanwhile without
/// timing anything.
final class HeldExecutor: TaskExecutor {
    private struct State {
        var ranFirstJob = false
        var released = false
        var held: [UnownedJob] = []
    }

    private let state = Mutex(State())

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let runNow = state.withLock { state in
            defer { state.ranFirstJob = true }
            guard state.released || !state.ranFirstJob else {
                state.held.append(job)
                return false
            }
            return true
        }
        if runNow { run(job) }
    }

    /// Runs the held jobs, and every later one as it comes.
    func release() {
        let held = state.withLock { state in
            state.released = true
            defer { state.held = [] }
            return state.held
        }
        held.forEach(run)
    }

    private func run(_ job: UnownedJob) {
        DispatchQueue.global().async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
