import NIOCore

/// How long a client may take over each part of its conversation with the server, and how many
/// connections may be open at once (`--header-timeout`, `--body-timeout`, `--idle-timeout`,
/// `--max-connections`). A client that sends nothing, or one byte a minute, is closed on time
/// instead of holding a connection for ever.
public struct ConnectionLimits: Sendable, Equatable {
    /// A request's head must be complete this long after its first byte arrived, or after the
    /// connection opened for the first request: a silent new connection is closed after this.
    public var headerTimeout: TimeAmount
    /// A request's body must be complete this long after its head.
    public var bodyTimeout: TimeAmount
    /// A keep-alive connection with no request in progress is closed after this. A response
    /// being written, however long it streams, is a request in progress.
    public var idleTimeout: TimeAmount
    /// Connections open at once; a request on any connection past this is answered 503 and its
    /// connection closed.
    public var maxConnections: Int

    /// Which of the waits above ran out.
    public enum Wait: String, Sendable, Equatable, CaseIterable {
        case header, body, idle
    }

    public init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, idleTimeout: TimeAmount, maxConnections: Int) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}
