import HTTPTypes
import LightServeCore
import ServiceContextModule
import Tracing

/// Ingress's handle on the pipeline: submits requests to Tokenize, tells the scheduler when a
/// client leaves, and reads the load figures. Reserves a waiting place first, so an overloaded
/// server answers 503 at once instead of queueing without bound.
public struct PipelineClient: Sendable {
    private let tokenize: StageSender<GenerationRequest>
    private let scheduler: StageSender<SchedulerMessage>
    public let monitor: PipelineMonitor
    let metrics: ServerMetrics
    private let retryAfterSeconds: Int

    public var load: PipelineLoad { monitor.load }

    public init(
        tokenize: StageSender<GenerationRequest>, scheduler: StageSender<SchedulerMessage>, monitor: PipelineMonitor,
        metrics: ServerMetrics, retryAfterSeconds: Int = 1
    ) {
        self.tokenize = tokenize
        self.scheduler = scheduler
        self.monitor = monitor
        self.metrics = metrics
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Sends a request into the pipeline; its events arrive on the returned receiver.
    public func submit(
        kind: RequestKind, input: PromptInput, options: GenerationOptions, context: ServerRequestContext, endpoint: String
    ) async throws(APIError) -> RequestEvents {
        guard load.isEngineHealthy else { throw APIError(.serviceUnavailable, "the engine is not running") }
        guard !load.isDraining else {
            throw APIError(.serviceUnavailable, "the server is shutting down; retry on another replica", retryAfter: retryAfterSeconds)
        }
        guard load.reserveWaitingPlace() else {
            metrics.rejected()
            throw APIError(.overloaded(retryAfterSeconds: retryAfterSeconds))
        }
        let (stream, sink) = RequestEventSink.makeStream()
        let request = GenerationRequest(
            kind: kind, input: input, options: options, events: sink, receivedAt: context.receivedAt,
            clientRequestID: context.requestID)
        load.enterTokenizeQueue(request)
        do {
            try await tokenize.send(request)
        } catch {
            load.leaveTokenizeQueue(request)
            load.releaseWaitingPlace()
            throw APIError(.serviceUnavailable, "the pipeline is shutting down")
        }
        load.requestOpened()
        return RequestEvents(
            request: request, stream: stream, load: load,
            observer: RequestObserver(
                trace: monitor.trace, metrics: metrics, endpoint: endpoint, traceID: context.traceID,
                context: ServiceContext.current ?? .topLevel, tracer: InstrumentationSystem.tracer))
    }

    /// Asks the scheduler to empty its prefix cache of every prefix no running request uses and
    /// waits for its answer: the slots freed.
    public func flushPrefixCache() async throws(APIError) -> Int {
        let (answer, continuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
        let reply = FlushReply { freed in
            continuation.yield(freed)
            continuation.finish()
        }
        do {
            try await scheduler.send(.flushPrefixCache(reply))
        } catch {
            throw APIError(.serviceUnavailable, "the scheduler is not running")
        }
        for await freed in answer { return freed }
        throw APIError(.serviceUnavailable, "the scheduler stopped before flushing its cache")
    }

    /// Tells the scheduler that the client of `request` is gone.
    public func cancel(_ request: RequestID) async {
        try? await scheduler.send(.cancel(request))
    }
}

/// The events of one request, read by its handler and then by its response body writer: one
/// after the other, never at once, which is what makes handing the iterator over safe. It also
/// watches the events go by, and when the last reader lets go it records the request's latency
/// figures and its outer trace span.
public final class RequestEvents: @unchecked Sendable {
    public let request: GenerationRequest
    private var iterator: AsyncStream<RequestEvent>.AsyncIterator
    private var observation: RequestObservation
    /// Counts this request as open until the last reader lets go (SIGTERM waits for that).
    private let load: PipelineLoad

    init(request: GenerationRequest, stream: AsyncStream<RequestEvent>, load: PipelineLoad, observer: RequestObserver) {
        self.request = request
        self.iterator = stream.makeAsyncIterator()
        self.load = load
        self.observation = RequestObservation(observer: observer)
    }

    /// The next event; nil when the calling task is cancelled.
    public func next() async -> RequestEvent? {
        let event = await iterator.next()
        if let event { observation.observe(event) }
        return event
    }

    deinit {
        observation.complete(request)
        load.requestClosed()
    }
}
