import HTTPTypes
import Hummingbird
import LightServeCore
import Prometheus

/// Insight into the running server: `/metrics` (Prometheus text), `/debug/stages` (per-stage
/// queue, throughput and service-time figures, the KV pool, the connections) and `/debug/trace`
/// (the last seconds of the trace as Chrome trace JSON or an SVG timeline).
public struct DebugRoutes: Sendable {
    let monitor: PipelineMonitor
    let metrics: ServerMetrics
    let registry: PrometheusCollectorRegistry
    let compute: ComputeReport
    let connections: ConnectionCounts
    private let traceExports = OneAtATime()

    /// The longest window `/debug/trace` exports.
    static let maxTraceSeconds = 60.0

    /// - Parameters:
    ///   - compute: the processor and kernels, reported under `compute` in `/debug/stages`.
    ///   - connections: the server's connection counts, under `connections` in `/debug/stages`
    ///     and as gauges in `/metrics`.
    public init(
        monitor: PipelineMonitor, metrics: ServerMetrics, registry: PrometheusCollectorRegistry, compute: ComputeReport,
        connections: ConnectionCounts
    ) {
        self.monitor = monitor
        self.metrics = metrics
        self.registry = registry
        self.compute = compute
        self.connections = connections
    }

    /// The routes, for the server's ``RouteTable``.
    public var routes: RouteCollection<ServerRequestContext> {
        let routes = RouteCollection(context: ServerRequestContext.self)
        routes.get("/metrics") { _, _ in
            metrics.refresh(from: monitor)
            metrics.refresh(from: connections)
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        routes.get("/debug/stages") { _, _ in json(stages()) }
        routes.get("/debug/trace") { request, _ in try await trace(request) }
        return routes
    }

    /// Per stage: queue depth and capacity, items per second, busy fraction, p50/p99 service time;
    /// then the KV pool and what the engine computes with.
    func stages() -> JSON {
        let window = monitor.queues.first?.service.window.seconds ?? 60
        return .object([
            ("window_seconds", .double(window)),
            ("stages", .array(monitor.queues.map { queue in
                let s = queue.service.summary()
                return .object([
                    ("stage", .string(queue.name)), ("queue_depth", .int(Int64(queue.depth))),
                    ("queue_capacity", .int(Int64(queue.capacity))), ("enqueued_total", .int(Int64(queue.enqueued))),
                    ("items", .int(Int64(s.items))), ("items_per_second", .double(round3(s.itemsPerSecond))),
                    ("busy_fraction", .double(round3(s.busyFraction))),
                    ("p50_ms", .double(round3(s.p50.seconds * 1000))), ("p99_ms", .double(round3(s.p99.seconds * 1000))),
                ])
            })),
            ("kv", .object([
                ("capacity", .int(Int64(monitor.load.kvCapacity))),
                ("held", .int(Int64(monitor.load.schedule.heldSlots))),
                ("predicted_peak", .int(Int64(monitor.load.schedule.predictedPeak))),
                ("running_sequences", .int(Int64(monitor.load.schedule.runningSequences))),
                ("waiting_requests", .int(Int64(monitor.load.waitingRequests))),
                ("preemptions", .int(Int64(monitor.load.schedule.preemptions))),
                ("prefix_cache_hit_ratio", .double(round3(monitor.load.prefixCacheHitRatio))),
                ("spec_draft_tokens", .int(Int64(monitor.load.schedule.draftedTokens))),
                ("spec_accepted_tokens", .int(Int64(monitor.load.schedule.acceptedTokens))),
            ])),
            ("connections", .object([
                ("open", .int(Int64(connections.open))), ("limit", .int(Int64(connections.limit))),
                ("refused", .int(Int64(connections.refused))),
                ("timeouts", .object(ConnectionLimits.Wait.allCases.map { ($0.rawValue, .int(Int64(connections.timeouts($0)))) })),
            ])),
            ("compute", .object([
                ("processor", .string(compute.processor)), ("kernels", .string(compute.kernels)),
                ("openblas_core", .string(compute.openBLASCore)), ("openblas_core_chosen_by", .string(compute.openBLASChoice)),
            ])),
        ])
    }

    /// `?seconds=N` (default 10, at most ``maxTraceSeconds``) of trace, `&format=svg` for a
    /// timeline picture. Copying and rendering up to the whole ring happens off the cooperative
    /// pool, one export at a time: another one meanwhile gets 429 with `Retry-After`.
    private func trace(_ request: Request) async throws -> Response {
        guard monitor.trace.isEnabled else {
            throw APIError(.badRequest, "tracing is off (--trace-events 0)")
        }
        let query = request.uri.queryParameters
        let seconds = try query.get("seconds").map { text throws(APIError) -> Double in
            guard let value = Double(String(text)), value > 0, value <= Self.maxTraceSeconds else {
                throw APIError.invalid("seconds", "must be a number of seconds above 0 and at most \(Int(Self.maxTraceSeconds))")
            }
            return value
        } ?? 10
        let since = ContinuousClock.now - Duration.milliseconds(Int64(seconds * 1000))
        let format = query.get("format").map { String($0) } ?? "json"
        guard format == "json" || format == "svg" else { throw APIError.invalid("format", "must be json or svg, got '\(format)'") }
        let trace = monitor.trace
        let exported = await traceExports.run {
            await OffPoolWork.run {
                let spans = trace.spans(endingAfter: since)
                return format == "svg" ? TraceTimelineSVG.render(spans) : ChromeTrace.document(spans, origin: trace.origin).serialized
            }
        }
        guard let body = exported else {
            throw APIError(.tooManyRequests, "another trace export is running; one runs at a time", retryAfter: 1)
        }
        return Response(
            status: .ok, headers: [.contentType: format == "svg" ? "image/svg+xml" : "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
