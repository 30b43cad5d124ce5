import Foundation

/// A serial executor backed by one thread of its own. An actor that uses it runs its blocking
/// numeric work there, never on Swift's cooperative pool (which has one thread per core: a
/// pool thread stuck in a matrix product would stall half of a 2-core machine's async work).
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    // `jobs` is guarded by `condition`; the thread is the only consumer.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(name: String) {
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
