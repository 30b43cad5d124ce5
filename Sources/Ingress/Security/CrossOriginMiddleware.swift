import HTTPTypes
import Hummingbird

/// The server's answer to browsers. A page of another origin may call it only if
/// ``CrossOriginPolicy`` lists that origin (`--cors-origin`): such a page gets its CORS preflight
/// answered and `Access-Control-Allow-Origin` on every response. A request a browser makes for a
/// page of any other origin is refused with 403 before it reaches a route, so a web page a user
/// visits cannot make a LightServe on their machine generate, flush its cache or export traces,
/// even with a request that needs no preflight (a `no-cors` POST, an `<img>` pointing at
/// `/debug/trace`).
///
/// A browser request is told by its `Sec-Fetch-Site` header (every current browser sends it;
/// `same-origin` and `none`, a typed URL, pass, as does a top-level navigation to a page); failing
/// that, by an `Origin` that is not the server's own `Host`. Clients that are not browsers send
/// neither and pass. With no origins listed, no response carries a CORS header.
public struct CrossOriginMiddleware: RouterMiddleware {
    public typealias Context = ServerRequestContext

    static let allowedMethods = "GET, HEAD, POST"
    static let allowedHeaders = "Authorization, Content-Type, X-Request-Id, traceparent"
    static let exposedHeaders = "X-Request-Id, Retry-After"
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let secFetchMode = HTTPField.Name("Sec-Fetch-Mode")!
    static let secFetchDest = HTTPField.Name("Sec-Fetch-Dest")!

    let policy: CrossOriginPolicy

    public init(policy: CrossOriginPolicy) {
        self.policy = policy
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        let allowed = origin == nil ? nil : policy.allowedOrigin(origin)
        if request.method == .options, origin != nil, request.headers[.accessControlRequestMethod] != nil,
            context.endpointPath != nil
        {
            return preflight(request, allowed: allowed)
        }
        if allowed == nil, isFromAnotherOrigin(request) {
            return APIError(
                .forbidden,
                "a web page of another origin (\(origin ?? "unnamed")) may not call this server; list it with --cors-origin to allow it"
            ).response(for: request)
        }
        var response = try await next(request, context)
        if let allowed {
            response.headers[.accessControlAllowOrigin] = allowed
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
            if allowed != "*" { response.headers[values: .vary].append("Origin") }
        }
        return response
    }

    /// The answer to a CORS preflight on a known path: the allowance for a listed origin, 403
    /// (no allowance) for any other.
    private func preflight(_ request: Request, allowed: String?) -> Response {
        guard let allowed else {
            return APIError(
                .forbidden, "the origin \(request.headers[.origin] ?? "") may not call this server; list it with --cors-origin to allow it"
            ).response(for: request)
        }
        var headers: HTTPFields = [
            .accessControlAllowOrigin: allowed, .accessControlAllowMethods: Self.allowedMethods,
            .accessControlAllowHeaders: Self.allowedHeaders, .accessControlMaxAge: "600",
        ]
        if allowed != "*" { headers[.vary] = "Origin" }
        return Response(status: .noContent, headers: headers)
    }

    /// Whether a browser sent `request` for a page of another origin (top-level navigations to a
    /// page excepted).
    func isFromAnotherOrigin(_ request: Request) -> Bool {
        if let site = request.headers[Self.secFetchSite]?.lowercased() {
            guard site == "cross-site" || site == "same-site" else { return false }
            let navigation = request.headers[Self.secFetchMode]?.lowercased() == "navigate"
                && (request.method == .get || request.method == .head)
                && !["object", "embed"].contains(request.headers[Self.secFetchDest]?.lowercased() ?? "")
            return !navigation
        }
        guard let origin = request.headers[.origin] else { return false }
        return Self.authority(ofOrigin: origin) != request.head.authority.map(Self.withoutDefaultPort)
    }

    /// `host[:port]` of an origin, lowercased, without the scheme's default port.
    static func authority(ofOrigin origin: String) -> String? {
        let parts = origin.lowercased().split(separator: "://", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        return withoutDefaultPort(String(parts[1]))
    }

    static func withoutDefaultPort(_ authority: String) -> String {
        let lower = authority.lowercased()
        for port in [":80", ":443"] where lower.hasSuffix(port) {
            return String(lower.dropLast(port.count))
        }
        return lower
    }
}
