import HTTPTypes
import Hummingbird
import LightServeCore

/// The web console: `GET /` from a browser serves one self-contained page (a chat and
/// completion playground, and a live view of the pipeline), compiled into the binary from
/// `Console/console.html`. The page asks only for relative URLs, so it also works behind a
/// reverse proxy that serves the server under a path prefix.
///
/// Besides `/debug/stages`, which the page polls too, it reads three JSON/SVG endpoints that
/// are added here and cost the server next to nothing: `/debug/server` (once), `/debug/throughput`
/// (output tokens per second over the last minutes) and `/debug/timeline` (the trace's SVG
/// timeline, taken incrementally from the trace ring).
public struct ConsoleRoutes: Sendable {
    let monitor: PipelineMonitor
    let metrics: ServerMetrics
    let configuration: IngressConfiguration
    private let timeline: TraceWindow

    public init(monitor: PipelineMonitor, metrics: ServerMetrics, configuration: IngressConfiguration) {
        self.monitor = monitor
        self.metrics = metrics
        self.configuration = configuration
        self.timeline = TraceWindow(recorder: monitor.trace)
    }

    /// The console's routes, for the server's ``RouteTable``.
    public var routes: RouteCollection<ServerRequestContext> {
        let routes = RouteCollection(context: ServerRequestContext.self)
        routes.get("/") { request, _ in try page(request) }
        routes.get("/debug/server") { _, _ in json(server()) }
        routes.get("/debug/throughput") { request, _ in try throughput(request) }
        routes.get("/debug/timeline") { request, _ in try timelineSVG(request) }
        return routes
    }

    /// The console page, to clients that accept HTML; `POST /` stays LightLLM's generate.
    private func page(_ request: Request) throws -> Response {
        guard Self.acceptsHTML(request.headers[.accept]) else {
            throw APIError(.notAcceptable, "GET / serves the web console as text/html; LightLLM's API is POST /")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.console_html)))
    }

    static func acceptsHTML(_ accept: String?) -> Bool {
        guard let accept, !accept.isEmpty else { return true }
        return accept.split(separator: ",").contains { range in
            let type = (range.split(separator: ";").first ?? "").filter { !$0.isWhitespace }.lowercased()
            return type == "text/html" || type == "text/*" || type == "*/*"
        }
    }

    /// What the page needs to know once: the model, whether chat works, the defaults.
    func server() -> JSON {
        .object([
            ("model_name", .string(configuration.modelName)),
            ("chat_template", .bool(configuration.hasChatTemplate)),
            ("default_max_new_tokens", .int(Int64(configuration.defaultMaxNewTokens))),
            ("chat_max_new_tokens", .int(Int64(configuration.chatMaxNewTokens))),
            ("kv_capacity", .int(Int64(monitor.load.kvCapacity))),
            ("max_waiting_requests", .int(Int64(monitor.load.maxWaitingRequests))),
            ("trace_enabled", .bool(monitor.trace.isEnabled)),
            ("started_at", .int(Int64(configuration.startedAt))),
        ])
    }

    /// `?seconds=N` (1…299, default 299) whole seconds of output tokens, oldest first.
    private func throughput(_ request: Request) throws -> Response {
        let limit = metrics.outputTokens.length - 1
        let seconds = try Self.seconds(request, default: limit, range: 1...limit)
        let snapshot = metrics.outputTokens.snapshot(seconds: seconds)
        return json(.object([
            ("interval_seconds", 1),
            ("output_tokens_per_second", .array(snapshot.perSecond.map { .int(Int64($0)) })),
            ("current_second_tokens", .int(Int64(snapshot.currentSecond))),
            ("output_tokens_total", .int(Int64(snapshot.total))),
        ]))
    }

    /// `?seconds=N` (1…60, default 10) of the request timeline as SVG.
    private func timelineSVG(_ request: Request) throws -> Response {
        guard monitor.trace.isEnabled else {
            throw APIError(.badRequest, "tracing is off (--trace-events 0)")
        }
        let seconds = try Self.seconds(request, default: 10, range: 1...Int(timeline.keep.components.seconds))
        let now = ContinuousClock.now
        let spans = timeline.spans(endingAfter: now - .seconds(seconds), now: now)
        return Response(
            status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: TraceTimelineSVG.render(spans))))
    }

    private static func seconds(_ request: Request, default value: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = request.uri.queryParameters.get("seconds") else { return value }
        guard let seconds = Int(String(text)), range.contains(seconds) else {
            throw APIError.invalid("seconds", "must be a whole number of seconds from \(range.lowerBound) to \(range.upperBound)")
        }
        return seconds
    }
}
