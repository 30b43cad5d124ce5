import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id (the client's `X-Request-Id` or a new one, echoed back and added to
/// the log metadata), notes its W3C trace, and records its count, status and duration once the
/// response body has been written, streams included. A client that hangs up before its answer
/// is complete counts as status 499.
public struct RequestObservationMiddleware: RouterMiddleware {
    public typealias Context = ServerRequestContext

    let metrics: ServerMetrics

    /// - Parameter metrics: where the counts and durations go, labelled with the route's path as
    ///   the router matched it (`/v1/models/{id}`, never the raw URL: bounded cardinality).
    public init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    static let requestIDField = HTTPField.Name("X-Request-Id")!
    static let traceparentField = HTTPField.Name("traceparent")!

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.receivedAt = .now
        let given = request.headers[Self.requestIDField].flatMap { $0.isEmpty || $0.count > 128 ? nil : $0 }
        context.requestID = given ?? Self.makeID()
        context.traceID = request.headers[Self.traceparentField].flatMap(Self.traceID(fromTraceparent:))
        context.logger[metadataKey: "request_id"] = "\(context.requestID)"
        if let traceID = context.traceID { context.logger[metadataKey: "trace_id"] = "\(traceID)" }

        var response = try await next(request, context)
        response.headers[Self.requestIDField] = context.requestID
        let endpoint = context.endpointPath ?? "unmatched"
        let status = Int(response.status.code)
        let started = context.receivedAt
        let metrics = self.metrics
        if response.status == .clientClosedRequest {
            // Nobody reads this answer: count it now, there will be no body write to wait for.
            metrics.requestCompleted(endpoint: endpoint, status: status, duration: .now - started)
            return response
        }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                // Writing the body fails only when the client is gone.
                let status = Int(HTTPResponse.Status.clientClosedRequest.code)
                metrics.requestCompleted(endpoint: endpoint, status: status, duration: .now - started)
                throw error
            }
            metrics.requestCompleted(endpoint: endpoint, status: status, duration: .now - started)
        }
        return response
    }

    /// 16 random bytes in hex.
    static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// The 32-hex-digit trace id of a `traceparent` (`00-<trace id>-<parent id>-<flags>`).
    static func traceID(fromTraceparent header: String) -> String? {
        let parts = header.split(separator: "-")
        guard parts.count >= 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit),
            parts[1] != String(repeating: "0", count: 32)
        else { return nil }
        return String(parts[1])
    }
}
