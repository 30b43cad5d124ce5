/// Which web origins other than the server's own may call it from a browser
/// (`--cors-origin`, repeatable; `*` for any). Empty by default: pages of other origins get no
/// CORS allowance and their requests are refused (``CrossOriginMiddleware``).
public struct CrossOriginPolicy: Sendable, Equatable {
    /// Why a `--cors-origin` value is not an origin.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notAnOrigin(String)

        public var description: String {
            switch self {
            case .notAnOrigin(let value):
                "--cors-origin \(value) is not an origin: give scheme://host[:port] as a browser sends it in Origin (no path, no trailing slash), or *"
            }
        }
    }

    /// The listed origins, lowercased.
    public let origins: Set<String>
    /// Whether `*` was given: every origin is allowed.
    public let allowsAny: Bool

    public init(origins: [String]) throws(Failure) {
        var listed = Set<String>()
        var any = false
        for origin in origins {
            if origin == "*" {
                any = true
                continue
            }
            guard Self.isOrigin(origin) else { throw .notAnOrigin(origin) }
            listed.insert(origin.lowercased())
        }
        self.origins = listed
        allowsAny = any
    }

    /// No origin is allowed.
    public var isEmpty: Bool { origins.isEmpty && !allowsAny }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, or nil if that origin
    /// may not call the server.
    func allowedOrigin(_ origin: String?) -> String? {
        guard let origin, origin != "null" else { return allowsAny ? "*" : nil }
        if origins.contains(origin.lowercased()) { return origin }
        return allowsAny ? "*" : nil
    }

    /// `http(s)://host[:port]`: what a browser puts in `Origin`.
    static func isOrigin(_ text: String) -> Bool {
        let lower = text.lowercased()
        guard let scheme = ["http://", "https://"].first(where: lower.hasPrefix) else { return false }
        let authority = lower.dropFirst(scheme.count)
        return !authority.isEmpty && !authority.contains { "/?#@ ".contains($0) }
    }
}
