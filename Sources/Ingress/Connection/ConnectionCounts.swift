import Synchronization

/// The server's connections, counted by every connection's ``ConnectionGuardHandler`` (one
/// instance shared by all event loops): how many are open against the limit, how many were
/// refused past it, and how many were closed because a client took too long. `/debug/stages`
/// and `/metrics` report them.
public final class ConnectionCounts: Sendable {
    /// Connections that may be open at once (`--max-connections`).
    public let limit: Int
    private let openNow = Atomic<Int>(0)
    private let refusedTotal = Atomic<Int>(0)
    private let timeoutTotals = Mutex<[ConnectionLimits.Wait: Int]>([:])

    public init(limit: Int) {
        self.limit = limit
    }

    /// Connections open now, refused ones included until they close.
    public var open: Int { openNow.load(ordering: .relaxed) }
    /// Connections answered 503 because `limit` were open.
    public var refused: Int { refusedTotal.load(ordering: .relaxed) }

    /// Connections closed because the client did not finish a head, a body, or start a new
    /// request in time.
    public func timeouts(_ wait: ConnectionLimits.Wait) -> Int {
        timeoutTotals.withLock { $0[wait, default: 0] }
    }

    /// Counts a new connection; false if it is over the limit (it is counted all the same
    /// until it closes, so the limit bounds open sockets).
    func opened() -> Bool {
        openNow.wrappingAdd(1, ordering: .relaxed).newValue <= limit
    }

    func closed() {
        openNow.wrappingSubtract(1, ordering: .relaxed)
    }

    func refusedOne() {
        refusedTotal.wrappingAdd(1, ordering: .relaxed)
    }

    func timedOut(_ wait: ConnectionLimits.Wait) {
        timeoutTotals.withLock { $0[wait, default: 0] += 1 }
    }
}
