import Synchronization

/// The observable state of one queue between stages and of the stage that drains it: its
/// configured capacity, how many items wait now, how many ever passed through, and how long the
/// stage spent on each. Written by the queue's two ends, read by anyone (load figures, metrics,
/// `/debug/stages`).
public final class QueueGauge: Sendable {
    public let name: String
    public let capacity: Int
    /// Service time per item of the stage reading this queue.
    public let service = ServiceStatistics()
    private let depthCounter = Atomic<Int>(0)
    private let enqueuedCounter = Atomic<Int>(0)

    public init(name: String, capacity: Int) {
        self.name = name
        self.capacity = capacity
    }

    /// Items waiting now.
    public var depth: Int { depthCounter.load(ordering: .relaxed) }
    /// Items that entered the queue since start.
    public var enqueued: Int { enqueuedCounter.load(ordering: .relaxed) }

    func didEnqueue() {
        depthCounter.add(1, ordering: .relaxed)
        enqueuedCounter.add(1, ordering: .relaxed)
    }

    func didDequeue() {
        depthCounter.subtract(1, ordering: .relaxed)
    }
}
