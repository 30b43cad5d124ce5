import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client over SwiftNIO for the tests and the load generator: one request
/// per connection, the response body delivered chunk by chunk as it arrives, and the
/// connection closed whenever the caller stops reading (that is how tests disconnect).
public enum HTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noResponse
        public var description: String { "the server closed the connection without a response" }
    }

    /// What a streaming reader wants after each chunk.
    public enum Next: Sendable {
        case `continue`
        /// Close the connection now (the client goes away).
        case disconnect
    }

    /// Sends a request and collects the whole response.
    public static func send(
        host: String = "127.0.0.1", port: Int, method: HTTPMethod = .POST, path: String, body: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Response {
        var response: Response?
        try await stream(host: host, port: port, method: method, path: path, body: body, headers: headers) { head in
            response = Response(status: head.status, headers: head.headers, body: [])
        } onChunk: { chunk in
            response?.body += chunk
            return .continue
        }
        guard let response else { throw Failure.noResponse }
        return response
    }

    /// Sends a request and hands the response head, then each body chunk, to the callbacks.
    public static func stream(
        host: String = "127.0.0.1", port: Int, method: HTTPMethod = .POST, path: String, body: String? = nil,
        headers: [(String, String)] = [],
        onHead: (_ head: (status: Int, headers: [(String, String)])) async throws -> Void,
        onChunk: (_ chunk: [UInt8]) async throws -> Next
    ) async throws {
        let request = requestParts(method: method, host: host, port: port, path: path, body: body, headers: headers)
        let channel = try await connect(host: host, port: port, sending: request)
        try await channel.executeThenClose { inbound, _ in
            for try await part in inbound {
                switch part {
                case .head(let response):
                    try await onHead((Int(response.status.code), response.headers.map { ($0.name, $0.value) }))
                case .body(let buffer):
                    if try await onChunk(Array(buffer.readableBytesView)) == .disconnect { return }
                case .end:
                    return
                }
            }
        }
    }
}

extension HTTPClient {
    fileprivate typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// Connects and writes `request` from the channel's initializer, on its event loop, so the
    /// request goes out as soon as the connection opens. Written from the calling task instead,
    /// it waited for that task to be scheduled again: in a test process whose other suites held
    /// every thread of the cooperative pool with model work, that took longer than the server's
    /// `--header-timeout` (10 s), the server closed the silent connection, and the late write
    /// failed with "I/O on closed channel".
    fileprivate static func connect(host: String, port: Int, sending request: [HTTPClientRequestPart]) async throws -> Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    let connection = try Connection(wrappingChannelSynchronously: channel)
                    // Queued before the connection is up; the channel flushes it on becoming active.
                    for part in request { channel.write(part, promise: nil) }
                    channel.flush()
                    return connection
                }
            }
    }

    /// The request as one sequence of parts, written together: the server may answer and close as
    /// soon as the last body byte arrives, so a separate write of the (empty) end part could find
    /// the connection closed.
    fileprivate static func requestParts(
        method: HTTPMethod, host: String, port: Int, path: String, body: String?, headers: [(String, String)]
    ) -> [HTTPClientRequestPart] {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Connection", value: "close")
        let bytes = body.map { ByteBuffer(string: $0) }
        if let bytes {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        }
        for (name, value) in headers { head.headers.replaceOrAdd(name: name, value: value) }
        var parts: [HTTPClientRequestPart] = [.head(head)]
        if let bytes { parts.append(.body(.byteBuffer(bytes))) }
        parts.append(.end(nil))
        return parts
    }
}

/// Splits a `text/event-stream` body into the payloads of its `data:` lines, across chunks.
public struct ServerSentEventParser: Sendable {
    private var buffer: [UInt8] = []

    public init() {}

    /// Feeds a chunk; returns the events it completed.
    public mutating func feed(_ chunk: [UInt8]) -> [String] {
        buffer += chunk
        var events: [String] = []
        while let end = Self.blankLine(in: buffer) {
            let block = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
            buffer.removeFirst(end.upperBound)
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix("data:") {
                var payload = line.dropFirst(5)
                if payload.first == " " { payload = payload.dropFirst() }
                events.append(String(payload))
            }
        }
        return events
    }

    private static func blankLine(in bytes: [UInt8]) -> Range<Int>? {
        guard bytes.count >= 2 else { return nil }
        for i in 0..<(bytes.count - 1) where bytes[i] == 0x0A && bytes[i + 1] == 0x0A {
            return i..<(i + 2)
        }
        return nil
    }
}
