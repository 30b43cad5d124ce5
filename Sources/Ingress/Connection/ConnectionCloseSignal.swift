import Synchronization

/// A latch that opens when a client's connection closes its inbound side (the client hung up or
/// reset the connection), and wakes everyone waiting on it.
///
/// One exists per connection, set by its ``ConnectionCloseHandler``. Handlers wait on it beside
/// their work instead of watching the request's inbound stream: that stream also carries the
/// next request of a keep-alive connection, and a watcher reading it would swallow that request.
final class ConnectionCloseSignal: Sendable {
    private struct State {
        var isClosed = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Whether the connection's inbound side has closed.
    var isClosed: Bool { state.withLock { $0.isClosed } }

    /// Opens the latch; idempotent.
    func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.isClosed else { return [] }
            state.isClosed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the connection has closed, or at once when the calling task is cancelled.
    func waitUntilClosed() async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.isClosed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
