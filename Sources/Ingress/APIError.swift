import HTTPTypes
import Hummingbird
import Logging
import LightServeCore

/// An error answered to the client: an honest status code and LightLLM's body shape
/// `{"message": "..."}`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// Seconds a client should wait before retrying (503).
    public var retryAfter: Int?
    /// The request field at fault, if one is (OpenAI's `param`).
    public var parameter: String?
    /// The methods the path takes (405's `Allow` header).
    public var allow: String?

    public init(
        _ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil, parameter: String? = nil, allow: String? = nil
    ) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
        self.parameter = parameter
        self.allow = allow
    }

    public var description: String { "\(status.code) \(message)" }

    /// A malformed or out-of-range field, named in the message.
    public static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, "\(field): \(message)", parameter: field)
    }

    /// The status and message for a pipeline error.
    public init(_ error: RequestError) {
        switch error {
        case .invalidParameter(let field, _):
            self.init(.badRequest, error.description, parameter: field)
        case .tooLong, .unsupported:
            self.init(.badRequest, error.description)
        case .chatTemplate:
            self.init(.badRequest, error.description, parameter: "messages")
        case .overloaded(let seconds):
            self.init(.serviceUnavailable, error.description, retryAfter: seconds)
        case .engineFailure:
            self.init(.internalServerError, error.description)
        }
    }

    /// The JSON response in LightLLM's shape.
    public var response: Response { response(body: JSON.object([("message", .string(message))])) }

    /// The JSON response in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
    public var openAIResponse: Response {
        let type =
            switch status.code {
            case 500...: "server_error"
            case 404: "not_found_error"
            case 401: "authentication_error"
            default: "invalid_request_error"
            }
        let code: JSON =
            switch status {
            case .serviceUnavailable: "overloaded"
            case .unauthorized: "invalid_api_key"
            default: .null
            }
        return response(body: .object([
            ("error", .object([
                ("message", .string(message)), ("type", .string(type)), ("param", parameter.map { .string($0) } ?? .null),
                ("code", code),
            ]))
        ]))
    }

    /// The response for `request`: OpenAI's shape under `/v1/`, and for 401 on every route (what
    /// an OpenAI client expects of a refused key); LightLLM's `{"message": ...}` elsewhere.
    public func response(for request: Request) -> Response {
        request.uri.path.hasPrefix("/v1/") || status == .unauthorized ? openAIResponse : response
    }

    private func response(body: JSON) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
    }
}

/// Turns every error a handler throws, Hummingbird's own included (404, 413), into an
/// ``APIError`` response in the shape ``APIError/response(for:)`` picks.
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let error: APIError
        do {
            return try await next(request, context)
        } catch let thrown as APIError {
            error = thrown
        } catch is CancellationError {
            // The client hung up: nobody reads this answer. Counted as its own outcome, not logged.
            return Response(status: .clientClosedRequest)
        } catch let thrown as HTTPError {
            error = APIError(thrown.status, thrown.body ?? Self.defaultMessage(thrown.status, request: request))
        } catch let thrown {
            context.logger.error("unhandled error: \(thrown)")
            error = APIError(.internalServerError, "internal error: \(thrown)")
        }
        return error.response(for: request)
    }

    private static func defaultMessage(_ status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: "no route for \(request.method) \(request.uri.path)"
        case .contentTooLarge: "the request body is larger than the server accepts (--max-body-bytes)"
        default: status.reasonPhrase
        }
    }
}

extension HTTPResponse.Status {
    /// nginx's 499: the client closed the connection before the answer was complete. Never
    /// sent (nobody is left to read it); it labels the outcome in logs and metrics.
    static let clientClosedRequest = HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
}
