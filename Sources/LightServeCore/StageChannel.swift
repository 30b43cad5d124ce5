import AsyncAlgorithms
import Synchronization

/// The receiving end of a bounded queue between two pipeline stages. One stage owns it and
/// reads it in a loop; senders suspend once `capacity` items wait (that is the backpressure).
/// It lives as long as its receiver: a stage's loop ends when its task is cancelled.
public struct StageChannel<Element: Sendable>: ~Copyable {
    private var channel: MultiProducerSingleConsumerAsyncChannel<Element, Never>
    /// The queue's depth and capacity, for load figures and metrics.
    public let gauge: QueueGauge
    /// Hand this to every producer.
    public let sender: StageSender<Element>

    public init(name: String, capacity: Int) {
        precondition(capacity >= 1, "queue '\(name)' needs a capacity of at least 1")
        var pair = MultiProducerSingleConsumerAsyncChannel.makeChannel(
            of: Element.self, backpressureStrategy: .watermark(low: max(1, capacity / 2), high: capacity))
        gauge = QueueGauge(name: name, capacity: capacity)
        channel = pair.takeChannel()
        sender = StageSender(source: pair.source, gauge: gauge)
    }

    /// When the item handed out last was returned: a stage asks for the next item right after
    /// finishing the previous one, so the time in between is that item's service time.
    private var handedOutAt: ContinuousClock.Instant?

    /// The next item, or nil once every sender finished or the calling task is cancelled.
    public mutating func next(isolation: isolated (any Actor)? = #isolation) async -> Element? {
        if let handedOutAt {
            let now = ContinuousClock.now
            gauge.service.record(duration: now - handedOutAt, end: now)
        }
        handedOutAt = nil
        guard let element = await channel.next() else { return nil }
        gauge.didDequeue()
        handedOutAt = .now
        return element
    }
}

/// The sending end of a ``StageChannel``; any number of tasks may share it.
public final class StageSender<Element: Sendable>: Sendable {
    private typealias Source = MultiProducerSingleConsumerAsyncChannel<Element, Never>.Source
    private typealias CallbackHandle = Source.SendResult.CallbackHandle

    public let gauge: QueueGauge
    private let source: Mutex<Source>

    fileprivate init(source: consuming sending MultiProducerSingleConsumerAsyncChannel<Element, Never>.Source, gauge: QueueGauge) {
        self.source = Mutex(source)
        self.gauge = gauge
    }

    /// The receiver is gone; nothing more can be sent.
    public struct ClosedError: Error, CustomStringConvertible {
        public let queue: String
        public var description: String { "the \(queue) queue is closed" }
    }

    /// Enqueues `element`, then suspends while the queue holds more than its capacity.
    public func send(_ element: Element) async throws(ClosedError) {
        let gauge = self.gauge
        let handle = try source.withLock { source throws(ClosedError) -> CallbackHandle? in
            let result: Source.SendResult
            do {
                result = try source.send(element)
            } catch {
                throw ClosedError(queue: gauge.name)
            }
            gauge.didEnqueue()
            switch consume result {
            case .produceMore: return nil
            case .enqueueCallback(let handle): return handle
            }
        }
        guard var handle else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            handle.enqueueCallback { _ in continuation.resume() }
        }
    }
}
