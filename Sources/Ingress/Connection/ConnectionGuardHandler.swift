import HTTPTypes
import LightServeCore
import NIOCore
import NIOHTTPTypes

/// Sits in every HTTP/1 connection's channel pipeline, after the HTTP codec, and holds the
/// connection to its ``ConnectionLimits``: closes it when the client takes too long over a
/// request's head or body or leaves it idle (``ConnectionDeadlines`` says by when), and answers
/// the requests of a connection opened past `maxConnections` with 503 before closing it.
///
/// Everything else passes through unchanged. A response being written has no deadline, so a
/// stream that runs for minutes is never cut.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let counts: ConnectionCounts
    private var deadlines: ConnectionDeadlines?
    /// Whether this connection was opened past the limit: its requests get 503, then it closes.
    private var refused = false
    /// Whether the current socket read completed a request part.
    private var readCompletedParts = false
    private var timer: Scheduled<Void>?
    private var timerDue: NIODeadline?

    init(limits: ConnectionLimits, counts: ConnectionCounts) {
        self.limits = limits
        self.counts = counts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { opened(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelActive(context: ChannelHandlerContext) {
        opened(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if deadlines != nil { counts.closed() }
        deadlines = nil
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readCompletedParts = true
        let now = NIODeadline.now()
        let part = unwrapInboundIn(data)
        switch part {
        case .head: deadlines?.headRead(at: now)
        case .body: break
        case .end: deadlines?.endRead(at: now)
        }
        rearm(context: context)
        guard refused else {
            context.fireChannelRead(data)
            return
        }
        // The request of a connection past the limit is read to its end (so that the answer is
        // not lost to a reset), then answered and the connection closed.
        if case .end = part { refuse(context: context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        deadlines?.bytesArrived(completedParts: readCompletedParts, at: .now())
        readCompletedParts = false
        rearm(context: context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            deadlines?.responseEnded(at: .now())
            rearm(context: context)
        }
        context.write(data, promise: promise)
    }

    private func opened(context: ChannelHandlerContext) {
        guard deadlines == nil else { return }
        deadlines = ConnectionDeadlines(limits: limits, openedAt: .now())
        refused = !counts.opened()
        rearm(context: context)
    }

    /// Arms the timer for the deadline now in force, if it changed.
    private func rearm(context: ChannelHandlerContext) {
        let due = deadlines?.next?.due
        guard due != timerDue else { return }
        cancelTimer()
        timerDue = due
        guard let due else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            timer = nil
            timerDue = nil
            if let wait = deadlines?.expired(at: .now()) {
                counts.timedOut(wait)
                context.close(promise: nil)
            } else {
                rearm(context: context)
            }
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDue = nil
    }

    private func refuse(context: ChannelHandlerContext) {
        counts.refusedOne()
        let message = "the server has \(limits.maxConnections) connections open, its limit (--max-connections); retry shortly"
        let body = ByteBuffer(string: JSON.object([("message", .string(message))]).serialized)
        let head = HTTPResponse(status: .serviceUnavailable, headerFields: [
            .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
            .retryAfter: "1",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
