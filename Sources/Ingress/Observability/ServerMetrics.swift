import LightServeCore
import Metrics

/// The server's metrics, recorded through swift-metrics (the executable bootstraps
/// swift-prometheus behind it): HTTP traffic, per-request latency and token counts, and gauges
/// of the pipeline refreshed from its live figures at every scrape.
public struct ServerMetrics: Sendable {
    /// Output tokens per second over the last minutes, for the console's plot.
    public let outputTokens = OutputTokenSeries()

    public init() {}

    /// Metric names, for the histogram bucket configuration and the README.
    public enum Name {
        public static let requests = "lightserve_http_requests_total"
        public static let requestDuration = "lightserve_http_request_duration_seconds"
        public static let timeToFirstToken = "lightserve_time_to_first_token_seconds"
        public static let timePerOutputToken = "lightserve_time_per_output_token_seconds"
        public static let promptTokens = "lightserve_prompt_tokens"
        public static let generatedTokens = "lightserve_generated_tokens"
        public static let rejected = "lightserve_rejected_requests_total"
        public static let queueDepth = "lightserve_queue_depth"
        public static let queueCapacity = "lightserve_queue_capacity"
        public static let stageBusy = "lightserve_stage_busy_fraction"
        public static let runningSequences = "lightserve_running_sequences"
        public static let waitingRequests = "lightserve_waiting_requests"
        public static let kvSlotsUsed = "lightserve_kv_slots_used"
        public static let kvSlotsCapacity = "lightserve_kv_slots_capacity"
        public static let kvPredictedPeak = "lightserve_kv_predicted_peak_slots"
        public static let prefixCacheHitRatio = "lightserve_prefix_cache_hit_ratio"
        public static let preemptions = "lightserve_preemptions_total"
        public static let openConnections = "lightserve_open_connections"
        public static let connectionLimit = "lightserve_connection_limit"
        public static let refusedConnections = "lightserve_refused_connections_total"
        public static let connectionTimeouts = "lightserve_connection_timeouts_total"
        /// Speculative decoding: tokens drafted, and how many of them the model accepted.
        public static let specDraftTokens = "lightserve_spec_draft_tokens_total"
        public static let specAcceptedTokens = "lightserve_spec_accepted_tokens_total"
        /// vLLM's names, which the Kubernetes Gateway API Inference Extension balances on.
        public static let vllmWaiting = "vllm:num_requests_waiting"
        public static let vllmRunning = "vllm:num_requests_running"
        public static let vllmKVUsage = "vllm:kv_cache_usage_perc"
    }

    func requestCompleted(endpoint: String, status: Int, duration: Duration) {
        Counter(label: Name.requests, dimensions: [("endpoint", endpoint), ("status", String(status))]).increment()
        Metrics.Timer(label: Name.requestDuration, dimensions: [("endpoint", endpoint)]).record(duration: duration)
    }

    func rejected() {
        Counter(label: Name.rejected).increment()
    }

    func generation(promptTokens: Int, generatedTokens: Int, timeToFirstToken: Duration?, timePerOutputToken: Duration?) {
        Recorder(label: Name.promptTokens, aggregate: true).record(promptTokens)
        Recorder(label: Name.generatedTokens, aggregate: true).record(generatedTokens)
        if let timeToFirstToken { Metrics.Timer(label: Name.timeToFirstToken).record(duration: timeToFirstToken) }
        if let timePerOutputToken { Metrics.Timer(label: Name.timePerOutputToken).record(duration: timePerOutputToken) }
    }

    /// Copies the pipeline's live figures into gauges, just before they are scraped.
    func refresh(from monitor: PipelineMonitor) {
        for queue in monitor.queues {
            Gauge(label: Name.queueDepth, dimensions: [("stage", queue.name)]).record(queue.depth)
            Gauge(label: Name.queueCapacity, dimensions: [("stage", queue.name)]).record(queue.capacity)
            Gauge(label: Name.stageBusy, dimensions: [("stage", queue.name)]).record(queue.service.summary().busyFraction)
        }
        let schedule = monitor.load.schedule
        Gauge(label: Name.runningSequences).record(schedule.runningSequences)
        Gauge(label: Name.waitingRequests).record(monitor.load.waitingRequests)
        Gauge(label: Name.kvSlotsUsed).record(schedule.heldSlots)
        Gauge(label: Name.kvSlotsCapacity).record(monitor.load.kvCapacity)
        Gauge(label: Name.kvPredictedPeak).record(schedule.predictedPeak)
        Gauge(label: Name.prefixCacheHitRatio).record(monitor.load.prefixCacheHitRatio)
        Gauge(label: Name.preemptions).record(schedule.preemptions)
        Gauge(label: Name.specDraftTokens).record(schedule.draftedTokens)
        Gauge(label: Name.specAcceptedTokens).record(schedule.acceptedTokens)
        Gauge(label: Name.vllmWaiting).record(monitor.load.waitingRequests)
        Gauge(label: Name.vllmRunning).record(schedule.runningSequences)
        Gauge(label: Name.vllmKVUsage).record(monitor.load.tokenLoad.current)
    }

    /// Copies the connection counts into gauges, just before they are scraped.
    func refresh(from connections: ConnectionCounts) {
        Gauge(label: Name.openConnections).record(connections.open)
        Gauge(label: Name.connectionLimit).record(connections.limit)
        Gauge(label: Name.refusedConnections).record(connections.refused)
        for wait in ConnectionLimits.Wait.allCases {
            Gauge(label: Name.connectionTimeouts, dimensions: [("wait", wait.rawValue)]).record(connections.timeouts(wait))
        }
    }
}
