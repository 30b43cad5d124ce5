import HTTPTypes
import Hummingbird
import LightServeCore

/// What a load balancer learns about this replica at registration.
public struct WorkerInfo: Sendable {
    /// The model's context length.
    public var contextLength: Int
    /// KV token slots in the pool (`--max-total-tokens`).
    public var maxTotalTokens: Int
    /// Sequences decoding at once (`--max-running-requests`).
    public var maxRunningRequests: Int
    /// LightServe's release, reported as `version`.
    public var version: String

    /// LightServe's release.
    public static let currentVersion = "0.1.0"

    public init(contextLength: Int, maxTotalTokens: Int, maxRunningRequests: Int, version: String = Self.currentVersion) {
        self.contextLength = contextLength
        self.maxTotalTokens = maxTotalTokens
        self.maxRunningRequests = maxRunningRequests
        self.version = version
    }
}

/// The routes that make LightServe a worker behind sglang-router (SGLang's worker API):
/// `GET /get_load`, which its `power_of_two` policy polls, `/server_info` and `/model_info`
/// (with SGLang's older `/get_` names), which it reads at registration, and `POST /flush_cache`.
///
/// `model_path` is left out of the info on purpose: given one, the router tries to load a
/// tokenizer from it.
public struct WorkerRoutes: Sendable {
    private let support: HandlerSupport
    let info: WorkerInfo
    private var pipeline: PipelineClient { support.pipeline }
    private var configuration: IngressConfiguration { support.configuration }

    public init(_ support: HandlerSupport, info: WorkerInfo) {
        self.support = support
        self.info = info
    }

    /// The worker routes, for the server's ``RouteTable``.
    public var routes: RouteCollection<ServerRequestContext> {
        let routes = RouteCollection(context: ServerRequestContext.self)
        routes.get("/get_load") { _, _ in json(load()) }
        routes.get("/server_info") { _, _ in json(serverInfo()) }
        routes.get("/get_server_info") { _, _ in json(serverInfo()) }
        routes.get("/model_info") { _, _ in json(modelInfo()) }
        routes.get("/get_model_info") { _, _ in json(modelInfo()) }
        routes.post("/flush_cache") { _, _ in try await flushCache() }
        return routes
    }

    /// SGLang's load report, one entry per data-parallel rank (LightServe has one):
    /// `num_tokens` is KV slots held plus the prompt tokens queued in any stage. A draining
    /// replica takes nothing new, so it reports itself full (`max_total_tokens` more than its
    /// real figure): `power_of_two` then prefers any other worker until the router's health
    /// check drops it.
    func load() -> JSON {
        let load = pipeline.load
        let schedule = load.schedule
        var tokens = load.committedTokens
        if load.health != .healthy { tokens = tokens.addingSaturated(load.kvCapacity).addingSaturated(1) }
        let waiting = load.waitingRequests
        return .array([.object([
            ("dp_rank", .int(0)),
            ("num_reqs", .int(Int64(schedule.runningSequences.addingSaturated(waiting)))),
            ("num_waiting_reqs", .int(Int64(waiting))),
            ("num_tokens", .int(Int64(tokens))),
        ])])
    }

    /// The server's settings as SGLang names them.
    func serverInfo() -> JSON {
        .object([
            ("served_model_name", .string(configuration.modelName)),
            ("context_length", .int(Int64(info.contextLength))),
            ("max_total_tokens", .int(Int64(info.maxTotalTokens))),
            ("max_running_requests", .int(Int64(info.maxRunningRequests))),
            ("max_req_input_len", .int(Int64(configuration.maxNewTokensLimit))),
            ("dp_size", .int(1)),
            ("version", .string(info.version)),
        ])
    }

    /// The served model as SGLang describes it.
    func modelInfo() -> JSON {
        .object([
            ("served_model_name", .string(configuration.modelName)),
            ("is_generation", .bool(true)),
            ("context_length", .int(Int64(info.contextLength))),
            ("max_total_tokens", .int(Int64(info.maxTotalTokens))),
            ("max_running_requests", .int(Int64(info.maxRunningRequests))),
            ("version", .string(info.version)),
        ])
    }

    /// Asks the scheduler, which owns the prefix cache, to drop every prefix no running request
    /// uses; answers with the slots freed.
    func flushCache() async throws -> Response {
        let freed = try await pipeline.flushPrefixCache()
        return json(.object([("message", "Cache flushed."), ("freed_slots", .int(Int64(freed)))]))
    }
}
