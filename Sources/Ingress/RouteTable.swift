import HTTPTypes
import Hummingbird
import LightServeCore

/// The server's HTTP surface in one place. Each API hands over its routes as a
/// `RouteCollection`; the table adds them to the router and remembers which methods every path
/// takes, so that ``finish()`` can answer any other method on a known path with 405 and an
/// `Allow` header. A path is written once, next to its handler: the router labels metrics with
/// it (`context.endpointPath`) and the 405 answers derive from it.
public final class RouteTable: RouterMethods {
    public typealias Context = ServerRequestContext

    private let router: Router<Context>
    /// Every path with the methods it takes, in the order the paths were first added.
    private var methods: [(path: RouterPath, methods: [HTTPRequest.Method])] = []

    public init(router: Router<Context>) {
        self.router = router
    }

    /// Adds one API's routes, under `path` when the API lives under a prefix (`/v1`).
    public func add(_ routes: RouteCollection<Context>, atPath path: RouterPath = "") {
        addRoutes(routes, atPath: path)
    }

    @discardableResult
    public func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        if let index = methods.firstIndex(where: { $0.path.description == path.description }) {
            methods[index].methods.append(method)
        } else {
            methods.append((path, [method]))
        }
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    public func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    /// The methods each known path takes, for documentation and tests.
    public var table: [(path: String, methods: [HTTPRequest.Method])] {
        methods.map { ($0.path.description, $0.methods) }
    }

    /// Serves the OpenAPI document of every route added so far and of itself at
    /// `GET /openapi.json`. Call it after every API was added, before ``finish()``.
    @discardableResult
    public func addDocument(configuration: IngressConfiguration) -> OpenAPIDocument {
        let path: RouterPath = "/openapi.json"
        methods.append((path, [.get]))
        let document = OpenAPIDocument(routes: table, configuration: configuration)
        let body = document.json.serialized
        router.get(path) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return document
    }

    /// Answers 405 with `Allow` for every method a known path does not take. Call it once, after
    /// every API was added.
    public func finish() {
        let all: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options]
        for (path, allowed) in methods {
            let allow = all.filter(allowed.contains).map(\.rawValue).joined(separator: ", ")
            for method in all where !allowed.contains(method) {
                router.on(path, method: method) { request, _ -> Response in
                    throw APIError(.methodNotAllowed, "\(request.method) is not allowed on \(path); use \(allow)", allow: allow)
                }
            }
        }
    }
}
