import HTTPTypes
import Hummingbird
import LightServeCore
import NIOCore

/// What every route handler does the same way: read a bounded JSON body, wait on a request's
/// events while watching the client's connection, and turn terminal events into errors.
struct HandlerSupport: Sendable {
    let pipeline: PipelineClient
    let maxBodyBytes: Int

    /// The request's body as JSON; 413 above the size limit, 400 if it is not JSON.
    func readJSON(_ request: inout Request) async throws -> JSON {
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

    /// Runs `operation` and cancels it when the client's connection closes; either way
    /// requests that did not complete are withdrawn from the pipeline. Call at most once per
    /// HTTP request: it consumes the connection's inbound side.
    func whileConnected<Value: Sendable>(
        _ request: Request, _ events: [RequestEvents], _ operation: () async throws -> Value
    ) async throws -> Value {
        do {
            return try await request.body.consumeWithCancellationOnInboundClose { _ in try await operation() }
        } catch {
            if !(error is APIError) { await cancel(events) }
            throw error
        }
    }

    func cancel(_ events: [RequestEvents]) async {
        for e in events { await pipeline.cancel(e.request.id) }
    }

    /// Waits for each request's admission; the prompt token counts, or the first refusal.
    func awaitAdmission(_ events: [RequestEvents]) async throws -> [Int] {
        var counts: [Int] = []
        for e in events {
            var admitted: Int?
            while admitted == nil, let event = await e.next() {
                if case .accepted(let count) = event { admitted = count }
                try Self.failIfTerminal(event)
            }
            guard let count = admitted else {
                await cancel(events)
                throw CancellationError()
            }
            counts.append(count)
        }
        return counts
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
