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

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(message)" }

    /// A malformed or out-of-range field, named in the message.
    public static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, "\(field): \(message)")
    }

    /// The status and message for a pipeline error.
    public init(_ error: RequestError) {
        switch error {
        case .invalidParameter, .tooLong, .unsupported:
            self.init(.badRequest, error.description)
        case .overloaded(let seconds):
            self.init(.serviceUnavailable, error.description, retryAfter: seconds)
        case .engineFailure:
            self.init(.internalServerError, error.description)
        }
    }

    /// The JSON response.
    public var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let body = JSON.object([("message", .string(message))]).serialized
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Turns every error a handler throws, Hummingbird's own included (404, 413), into an
/// ``APIError`` response, so no client ever sees a body that is not `{"message": ...}`.
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as HTTPError {
            let message = error.body ?? Self.defaultMessage(error.status, request: request)
            return APIError(error.status, message).response
        } catch {
            context.logger.error("unhandled error: \(error)")
            return APIError(.internalServerError, "internal error: \(error)").response
        }
    }

    private static func defaultMessage(_ status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: "no route for \(request.method) \(request.uri.path)"
        case .contentTooLarge: "the request body is larger than the server accepts (--max-body-bytes)"
        default: status.reasonPhrase
        }
    }
}
