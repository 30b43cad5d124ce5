import Hummingbird
import Logging
import NIOCore

/// Hummingbird's request context plus what LightServe tracks per request: when it arrived, the
/// client's request id, the W3C trace it belongs to, and the connection it came on.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var receivedAt: ContinuousClock.Instant
    /// `X-Request-Id` as the client sent it, or one made up; echoed back and put in the logs.
    public var requestID: String
    /// The trace id of a W3C `traceparent` header, if the client sent one.
    public var traceID: String?
    /// The client's connection, whose ``ConnectionCloseHandler`` tells when the client leaves.
    public let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        receivedAt = .now
        requestID = ""
        traceID = nil
        channel = source.channel
    }
}
