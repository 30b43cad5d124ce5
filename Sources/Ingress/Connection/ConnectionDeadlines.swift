import NIOCore

/// What a connection's client owes the server next, and by when: a state machine fed the
/// connection's events (parts read, responses finished) that answers with the one deadline in
/// force. ``ConnectionGuardHandler`` arms a timer for it and closes the connection if it passes.
///
/// - Before a request's head is complete: the head is due `headerTimeout` after the connection
///   opened (its first request) or after the first bytes of a later request arrived.
/// - While a request's body is read: the body is due `bodyTimeout` after its head.
/// - While a response is written (the request fully read): no deadline, however long it streams.
/// - With no request in progress on a keep-alive connection: the next request must start within
///   `idleTimeout`.
struct ConnectionDeadlines {
    typealias Wait = ConnectionLimits.Wait

    let limits: ConnectionLimits
    /// Requests whose head was read and whose response has not ended.
    private(set) var requestsInProgress = 0
    /// Whether the newest request's head was read and its end was not.
    private(set) var readingBody = false
    /// The newest request's body deadline, while `readingBody`.
    private var bodyDue: NIODeadline?
    /// While no request is in progress: the head deadline, or the idle one.
    private var between: (due: NIODeadline, wait: Wait)

    init(limits: ConnectionLimits, openedAt now: NIODeadline) {
        self.limits = limits
        between = (now + limits.headerTimeout, .header)
    }

    /// The deadline in force and what it waits for; nil while a response is being written.
    var next: (due: NIODeadline, wait: Wait)? {
        if readingBody {
            // A pipelined request's body may wait behind an earlier response (the server stops
            // reading meanwhile): its clock starts when that response ends.
            guard requestsInProgress <= 1, let bodyDue else { return nil }
            return (bodyDue, .body)
        }
        return requestsInProgress == 0 ? between : nil
    }

    /// Bytes arrived; `completedParts` says whether they completed any part of a request. Bytes
    /// that complete nothing while the connection is idle start the next request's head.
    mutating func bytesArrived(completedParts: Bool, at now: NIODeadline) {
        guard !completedParts, !readingBody, requestsInProgress == 0, between.wait == .idle else { return }
        between = (now + limits.headerTimeout, .header)
    }

    mutating func headRead(at now: NIODeadline) {
        requestsInProgress += 1
        readingBody = true
        bodyDue = now + limits.bodyTimeout
    }

    mutating func endRead(at now: NIODeadline) {
        readingBody = false
        bodyDue = nil
        // The response may have gone out before the body was read (401, 413, 415).
        if requestsInProgress == 0 { between = (now + limits.idleTimeout, .idle) }
    }

    mutating func responseEnded(at now: NIODeadline) {
        requestsInProgress = max(0, requestsInProgress - 1)
        if requestsInProgress == 0 && !readingBody {
            between = (now + limits.idleTimeout, .idle)
        } else if requestsInProgress == 1 && readingBody {
            bodyDue = now + limits.bodyTimeout
        }
    }

    /// What to do when the timer set for ``next`` fires at `now`: the wait that ran out, or nil
    /// when the deadline moved on meanwhile (rearm for the new ``next``).
    func expired(at now: NIODeadline) -> Wait? {
        guard let next, now >= next.due else { return nil }
        return next.wait
    }
}
