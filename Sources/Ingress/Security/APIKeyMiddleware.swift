import HTTPTypes
import Hummingbird

/// With API keys configured, lets a request through only if it carries
/// `Authorization: Bearer <key>` with one of them; anything else gets 401 in OpenAI's error shape
/// with `WWW-Authenticate: Bearer`. Open without a key: the health probes (`/health`,
/// `/healthz`, `/liveness`, `/readiness`), `/metrics` with `--metrics-public`, and `GET /`, the
/// console's static page (which holds no data and asks for the key itself).
///
/// It runs after routing, so it sees the path as the route table wrote it; a path no route
/// takes needs the key too, so a client without one learns nothing about which paths exist.
public struct APIKeyMiddleware: RouterMiddleware {
    public typealias Context = ServerRequestContext

    /// The load balancers' and orchestrators' probes: open whatever the keys.
    public static let probePaths: Set<String> = ["/health", "/healthz", "/liveness", "/readiness"]

    let keys: APIKeys
    let openPaths: Set<String>

    /// - Parameter metricsPublic: leave `/metrics` open (`--metrics-public`) for a scraper
    ///   without the key.
    public init(keys: APIKeys, metricsPublic: Bool) {
        self.keys = keys
        openPaths = metricsPublic ? Self.probePaths.union(["/metrics"]) : Self.probePaths
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !keys.isEmpty, !isOpen(request, path: context.endpointPath) else { return try await next(request, context) }
        guard let presented = APIKeys.bearerToken(request.headers[.authorization]) else {
            return APIError(.unauthorized, "this server needs an API key: send it as Authorization: Bearer <key>")
                .response(for: request)
        }
        guard keys.accepts(presented) else {
            return APIError(.unauthorized, "the API key is not one this server accepts").response(for: request)
        }
        return try await next(request, context)
    }

    private func isOpen(_ request: Request, path: String?) -> Bool {
        guard let path else { return false }
        if openPaths.contains(path) { return true }
        return path == "/" && (request.method == .get || request.method == .head)
    }
}
