import NIOCore
import NIOPosix
import Synchronization

/// A TCP connection to the server that speaks bytes, not HTTP: for the clients a server must
/// survive (one that sends nothing, half a head, a body that never ends) and for requests
/// ``HTTPClient`` would not send (no `Content-Type`). It keeps everything the server sends and
/// notices when the server closes the connection.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: ReceivedBytes

    private init(channel: any Channel, received: ReceivedBytes) {
        self.channel = channel
        self.received = received
    }

    /// Opens a connection; `first` is written as it opens, on its event loop, so a server with a
    /// one-second `--header-timeout` gets it even when the calling task waits seconds for a thread
    /// (see `HTTPClient.connect`). A `send` right after `open` has no such guarantee.
    static func open(port: Int, host: String = "127.0.0.1", sending first: String? = nil) async throws -> RawConnection {
        let received = ReceivedBytes()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received))
                    if let first { channel.writeAndFlush(ByteBuffer(string: first), promise: nil) }
                }
            }
            .connect(host: host, port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    /// Sends `text`; throws once the server has closed the connection.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Whether the server has closed the connection.
    var isClosed: Bool { received.isClosed }

    /// Everything the server sent so far.
    var bytes: [UInt8] { received.bytes }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Waits until the server closes the connection; false if `deadline` passes first.
    func waitUntilClosed(deadline: ContinuousClock.Instant) async -> Bool {
        let closeFuture = channel.closeFuture
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await closeFuture.get()
                return true
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || received.isClosed
        }
    }

    /// Closes the connection from this side.
    func close() async {
        try? await channel.close()
    }
}

/// What a ``RawConnection`` received, shared between its channel handler and its readers.
private final class ReceivedBytes: Sendable {
    private let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))

    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var isClosed: Bool { state.withLock { $0.closed } }

    func append(_ buffer: ByteBuffer) {
        state.withLock { $0.bytes += buffer.readableBytesView }
    }

    func close() {
        state.withLock { $0.closed = true }
    }
}

private final class Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let received: ReceivedBytes

    init(_ received: ReceivedBytes) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received.append(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
