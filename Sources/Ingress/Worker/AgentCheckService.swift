import LightServeCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// HAProxy's agent-check protocol on its own TCP port (`--agent-port`): every connection gets
/// one line and is closed. HAProxy sets the server's weight share and state from it, which is
/// its only way to take a load figure from the server itself.
///
/// The line is ``AgentCheckService/reply(for:)``: `<w>% ready` with the weight falling as
/// `/token_load`'s `logical_max_load` rises, `drain` from SIGTERM on (running requests finish,
/// new ones go elsewhere), `down#...` when the engine has failed.
public struct AgentCheckService: Service {
    let host: String
    let port: Int
    let load: PipelineLoad
    let logger: Logger

    public init(host: String, port: Int, load: PipelineLoad, logger: Logger) {
        self.host = host
        self.port = port
        self.load = load
        self.logger = logger
    }

    /// The agent's answer for the load figures now.
    ///
    /// The weight is the free share of the KV pool, counting what is queued for it:
    /// `100 × (1 − logical_max_load)`, at least 1% so that a busy replica still takes work
    /// when every replica is busy (HAProxy treats 0% as drain).
    public static func reply(for load: PipelineLoad) -> String {
        switch load.health {
        case .failed:
            return "down#engine not running\n"
        case .draining:
            return "drain\n"
        case .healthy:
            let free = 1 - load.tokenLoad.logicalMax
            let percent = free.isFinite ? Int((free * 100).rounded()) : 1
            return "\(min(100, max(1, percent)))% ready\n"
        }
    }

    public func run() async throws {
        let load = self.load
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AgentReplyHandler(load: load))
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        logger.info("HAProxy agent-check listening on \(host):\(bound)")
        // Connections are answered by the handler; this only keeps the listener open. The
        // service group asks it to stop after the drain and the HTTP server have ended (it is
        // registered before them), so HAProxy hears `drain` for the whole drain.
        let logger = self.logger
        await withGracefulShutdownHandler {
            do {
                try await server.executeThenClose { inbound in
                    for try await _ in inbound {}
                }
            } catch {
                logger.debug("agent-check listener closed: \(error)")
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }
}

/// Writes the agent's line as soon as HAProxy connects, then closes the connection.
private final class AgentReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let load: PipelineLoad

    init(load: PipelineLoad) {
        self.load = load
    }

    func channelActive(context: ChannelHandlerContext) {
        let line = AgentCheckService.reply(for: load)
        let buffer = context.channel.allocator.buffer(string: line)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
