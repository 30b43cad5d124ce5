import LightServeCore
import ServiceContextModule
import Tracing

/// Where a request's figures go when it completes.
struct RequestObserver: Sendable {
    let trace: TraceRecorder
    let metrics: ServerMetrics
    let endpoint: String
    let traceID: String?
    /// The HTTP request's distributed-tracing context (its server span, and any `traceparent`
    /// the bootstrapped instrument extracted).
    let context: ServiceContext
    /// Where the pipeline span goes (the bootstrapped tracer in the server).
    let tracer: any Tracer
}

/// What a request's events showed: its prompt size, when tokens arrived, how it ended. At
/// completion it becomes latency metrics and the request's outer trace span.
struct RequestObservation {
    let observer: RequestObserver
    private var promptTokens = 0
    private var generated = 0
    private var firstTokenAt: ContinuousClock.Instant?
    private var lastTokenAt: ContinuousClock.Instant?
    private var finishedSequences = 0
    private var outcome: String?

    init(observer: RequestObserver) {
        self.observer = observer
    }

    mutating func observe(_ event: RequestEvent) {
        let now = ContinuousClock.now
        switch event {
        case .accepted(let count, _):
            promptTokens = count
        case .tokens(let tokens):
            firstTokenAt = firstTokenAt ?? now
            lastTokenAt = now
            generated += tokens.count
            observer.metrics.outputTokens.record(tokens.count, at: now)
            finishedSequences += tokens.filter { $0.finishReason != nil }.count
            if let reason = tokens.last(where: { $0.finishReason != nil })?.finishReason { outcome = "finished (\(reason.rawValue))" }
        case .rejected(let error):
            outcome = "rejected: \(error)"
        case .failed(let message):
            outcome = "failed: \(message)"
        case .score(_, let count):
            promptTokens = count
            outcome = "scored"
        case .tokenized(let ids):
            promptTokens = ids.count
            outcome = "tokenized"
        case .detokenized:
            outcome = "detokenized"
        case .rendered:
            outcome = "rendered"
        case .promptTokens:
            break
        }
    }

    func complete(_ request: GenerationRequest) {
        let now = ContinuousClock.now
        let ended = outcome ?? "cancelled"
        if request.kind == .generate, generated > 0 {
            let perToken = generated > 1 ? lastTokenAt.flatMap { last in firstTokenAt.map { (last - $0) / (generated - 1) } } : nil
            observer.metrics.generation(
                promptTokens: promptTokens, generatedTokens: generated,
                timeToFirstToken: firstTokenAt.map { $0 - request.receivedAt }, timePerOutputToken: perToken)
        }
        emitDistributedSpan(request, outcome: ended, end: now)
        let trace = observer.trace
        guard trace.isEnabled else { return }
        let track = TraceRecorder.Track.request(request.id)
        trace.record(track, "received", from: request.receivedAt, to: request.submittedAt)
        if let firstTokenAt { trace.record(track, "first token", from: firstTokenAt, to: firstTokenAt) }
        var arguments = [
            ("endpoint", observer.endpoint), ("outcome", ended), ("prompt_tokens", "\(promptTokens)"),
            ("generated_tokens", "\(generated)"), ("request_id", request.clientRequestID),
        ]
        if let traceID = observer.traceID { arguments.append(("trace_id", traceID)) }
        trace.record(track, ended == "cancelled" ? "request (cancelled)" : "request", from: request.receivedAt, to: now, arguments)
    }

    /// One swift-distributed-tracing span for the request's time in the pipeline, a child of the
    /// HTTP server span, so an OpenTelemetry exporter bootstrapped by the operator sees it. The
    /// stage-by-stage detail stays in LightServe's own trace.
    private func emitDistributedSpan(_ request: GenerationRequest, outcome: String, end: ContinuousClock.Instant) {
        let tracer = observer.tracer
        let wallNow = DefaultTracerClock.now.nanosecondsSinceEpoch
        let clockNow = ContinuousClock.now
        func wall(_ instant: ContinuousClock.Instant) -> DefaultTracerClock.Instant {
            let ago = max(0, (clockNow - instant).seconds)
            return DefaultTracerClock.Instant(nanosecondsSinceEpoch: wallNow - UInt64(ago * 1e9))
        }
        let span = tracer.startSpan(
            "lightserve.pipeline", context: observer.context, ofKind: .internal, at: wall(request.submittedAt))
        span.attributes["lightserve.request"] = "\(request.id)"
        span.attributes["lightserve.outcome"] = outcome
        span.attributes["lightserve.prompt_tokens"] = promptTokens
        span.attributes["lightserve.generated_tokens"] = generated
        if let firstTokenAt { span.addEvent(SpanEvent(name: "first_token", at: wall(firstTokenAt))) }
        span.end(at: wall(end))
    }
}
