import HTTPTypes
import Hummingbird
import LightServeCore
import NIOCore

/// What every route handler has and does the same way: the pipeline and the server's
/// configuration; reading a bounded JSON body, running generations, waiting on a request's
/// events while watching the client's connection, and turning terminal events into errors.
public struct HandlerSupport: Sendable {
    let pipeline: PipelineClient
    let configuration: IngressConfiguration

    public init(pipeline: PipelineClient, configuration: IngressConfiguration) {
        self.pipeline = pipeline
        self.configuration = configuration
    }

    var maxBodyBytes: Int { configuration.maxBodyBytes }

    /// Generation for both APIs (``Generation``).
    var generation: Generation { Generation(support: self) }

    /// The request's body as JSON; 415 unless its `Content-Type` says JSON, 413 above the size
    /// limit, 400 if it is not JSON.
    ///
    /// Requiring the JSON media type is what keeps a web page of another origin from posting to
    /// the server: a browser sends `text/plain`, a form type or no `Content-Type` at all without
    /// asking the server first, never `application/json`. So a missing header is refused too.
    func readJSON(_ request: inout Request) async throws -> JSON {
        guard let contentType = request.headers[.contentType], Self.isJSON(contentType: contentType) else {
            let given = request.headers[.contentType].map { "Content-Type \($0)" } ?? "no Content-Type"
            throw APIError(.unsupportedMediaType, "the body must be JSON sent with Content-Type: application/json; the request has \(given)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "the request body is larger than the server accepts (\(maxBodyBytes) bytes, --max-body-bytes)")
        }
        do {
            return try JSON.parse(buffer.readableBytesView)
        } catch {
            throw APIError(.badRequest, "the body is not valid JSON")
        }
    }

    /// Whether a `Content-Type` value names JSON: `application/json` or an `application/…+json`
    /// type, with any parameters (`; charset=utf-8`).
    static func isJSON(contentType: String) -> Bool {
        let essence = (contentType.split(separator: ";", omittingEmptySubsequences: false).first ?? "")
            .filter { !$0.isWhitespace }.lowercased()
        return essence == "application/json" || (essence.hasPrefix("application/") && essence.hasSuffix("+json"))
    }

    /// Runs `operation`, which reads `events`, while watching the client's connection: if the
    /// client hangs up, the requests are withdrawn from the pipeline at once and their event
    /// streams end, so `operation` stops at its next read and this throws `CancellationError`.
    /// Requests that did not complete are withdrawn on any error too.
    ///
    /// The watch never reads the connection's inbound stream (which on a keep-alive connection
    /// carries the next request), so it may be used any number of times per request.
    func whileConnected<Value: Sendable>(
        _ context: ServerRequestContext, _ events: [RequestEvents], _ operation: () async throws -> Value
    ) async throws -> Value {
        let signal = await ConnectionCloseHandler.signal(of: context.channel)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            if let signal {
                group.addTask {
                    await signal.waitUntilClosed()
                    guard !Task.isCancelled else { return }
                    for e in events { e.request.events.finish() }
                    await cancel(events)
                }
            }
            do {
                return try await operation()
            } catch {
                if !(error is APIError) { await cancel(events) }
                throw error
            }
        }
    }

    func cancel(_ events: [RequestEvents]) async {
        for e in events { await pipeline.cancel(e.request.id) }
    }

    /// Waits for each request's admission, watching the connection meanwhile; what each
    /// ``RequestEvent/accepted(promptTokens:opensReasoning:)`` said, or the first refusal.
    func awaitAdmission(
        _ context: ServerRequestContext, _ events: [RequestEvents]
    ) async throws -> [(promptTokens: Int, opensReasoning: Bool)] {
        try await whileConnected(context, events) {
            var accepted: [(promptTokens: Int, opensReasoning: Bool)] = []
            for e in events {
                var admitted: (Int, Bool)?
                while admitted == nil, let event = await e.next() {
                    if case .accepted(let count, let opensReasoning) = event { admitted = (count, opensReasoning) }
                    try Self.failIfTerminal(event)
                }
                guard let admitted else { throw CancellationError() }
                accepted.append(admitted)
            }
            return accepted
        }
    }

    /// The one event that answers a request that does not generate (token ids, a text, a
    /// score), as `extract` picks it out, waiting while watching the connection; terminal events
    /// become errors.
    func answer<Value: Sendable>(
        _ context: ServerRequestContext, _ events: RequestEvents, _ extract: (RequestEvent) -> Value?
    ) async throws -> Value {
        try await whileConnected(context, [events]) {
            while let event = await events.next() {
                if let value = extract(event) { return value }
                try Self.failIfTerminal(event)
            }
            throw CancellationError()
        }
    }

    /// Throws for events that end a request with an error; other events pass.
    static func failIfTerminal(_ event: RequestEvent) throws {
        switch event {
        case .rejected(let error): throw APIError(error)
        case .failed(let message): throw APIError(.internalServerError, message)
        default: break
        }
    }
}

/// A JSON response.
func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
}
