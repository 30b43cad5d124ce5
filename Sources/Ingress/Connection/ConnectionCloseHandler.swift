import HummingbirdCore
import NIOCore

/// Sits in every HTTP/1 connection's channel pipeline and opens the connection's
/// ``ConnectionCloseSignal`` when the client half-closes or the connection goes away. It
/// passes everything through unchanged.
///
/// Hummingbird allows remote half-closure, so a client that hangs up shows as an `inputClosed`
/// event long before any write to it would fail; this is how a request whose client left is
/// cancelled at once, whether it is streaming, generating or still waiting for admission.
final class ConnectionCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let signal = ConnectionCloseSignal()

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { signal.close() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        signal.close()
        context.fireChannelInactive()
    }

    /// The signal of the connection `channel`, or nil if its pipeline has no such handler (a
    /// server set up without it).
    static func signal(of channel: any Channel) async -> ConnectionCloseSignal? {
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ConnectionCloseHandler.self).signal
        }.get()
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with, on every connection, a ``ConnectionCloseHandler`` (what the routes need to
    /// cancel the requests of a client that hangs up) and a ``ConnectionGuardHandler`` holding
    /// the connection to `limits` and counting it in `counts`.
    public static func lightServe(limits: ConnectionLimits, counts: ConnectionCounts) -> HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [
            ConnectionCloseHandler(), ConnectionGuardHandler(limits: limits, counts: counts),
        ]))
    }
}
