import Hummingbird
import LightServeCore

/// LightLLM's HTTP API over the pipeline: health and load probes, `/generate`,
/// `/generate_stream` (server-sent events), `POST /`, `/tokens` and `/get_score`.
///
/// Every check, tokenization and admission included, happens before a response's status is
/// chosen; once a stream's 200 is out, a failure ends it with a final `data:{"error": ...}`.
/// A client that disconnects, even before its first token, cancels its request.
public struct LightLLMRoutes: Sendable {
    private let support: HandlerSupport
    private var pipeline: PipelineClient { support.pipeline }
    private var configuration: IngressConfiguration { support.configuration }

    public init(_ support: HandlerSupport) {
        self.support = support
    }

    /// LightLLM's routes, for the server's ``RouteTable``.
    public var routes: RouteCollection<ServerRequestContext> {
        let routes = RouteCollection(context: ServerRequestContext.self)
        routes.get("/health") { _, _ in health() }
        routes.head("/health") { _, _ in health() }
        routes.get("/healthz") { _, _ in health() }
        routes.get("/liveness") { _, _ in json(.object([("status", "ok")])) }
        routes.get("/readiness") { _, _ in
            switch pipeline.load.health {
            case .healthy: json(.object([("status", "ok")]))
            case .draining: json(.object([("status", "draining")]), status: .serviceUnavailable)
            case .failed: json(.object([("status", "error")]), status: .serviceUnavailable)
            }
        }
        routes.get("/get_model_name") { _, _ in
            json(.object([
                ("model_name", .string(configuration.modelName)), ("architecture", .string(configuration.architecture)),
                ("quantization", .string(configuration.quantization)),
            ]))
        }
        routes.get("/token_load") { _, _ in
            let load = pipeline.load.tokenLoad
            return json(.object([
                ("current_load", .double(load.current)), ("logical_max_load", .double(load.logicalMax)),
                ("dynamic_max_load", .double(load.dynamicMax)),
            ]))
        }
        routes.post("/generate") { request, context in try await generate(request, context, stream: false) }
        routes.post("/generate_stream") { request, context in try await generate(request, context, stream: true) }
        routes.post("/") { request, context in try await generate(request, context, stream: nil) }
        routes.post("/tokens") { request, context in try await countTokens(request, context) }
        routes.post("/get_score") { request, context in try await score(request, context) }
        return routes
    }

    // MARK: Handlers

    /// 200 while the server takes requests; 503 once it drains for shutdown (so balancers stop
    /// sending) or when the engine has stopped.
    private func health() -> Response {
        switch pipeline.load.health {
        case .healthy: json(.object([("message", "Ok")]))
        case .draining: json(.object([("message", "Draining")]), status: .serviceUnavailable)
        case .failed: json(.object([("message", "Error")]), status: .serviceUnavailable)
        }
    }

    private func generate(_ request: Request, _ context: ServerRequestContext, stream: Bool?) async throws -> Response {
        var request = request
        let body = try await support.readJSON(&request)
        let parsed = try LightLLMRequest.parse(
            body, defaultMaxNewTokens: configuration.defaultMaxNewTokens, maxNewTokensLimit: configuration.maxNewTokensLimit)
        let streaming = stream ?? parsed.stream ?? false
        if streaming { try parsed.checkStreamable() }
        let submitted = try await support.generation.submit(parsed.call, context: context, endpoint: request.uri.path)
        guard streaming else {
            let result = try await submitted.collect()
            return json(LightLLMResponses.generate(result, details: parsed.returnDetails))
        }
        let admitted = try await submitted.admission()
        let promptTokens = admitted.promptTokens[0]
        let format = EventStreamFormat.lightLLM
        return Response(status: .ok, headers: EventStreamFormat.headers, body: ResponseBody { writer in
            _ = try await admitted.stream { event in
                switch event {
                case .token(let delta):
                    try await writer.write(format.event(LightLLMResponses.streamEvent(delta.token, promptTokens: promptTokens)))
                case .failed(let message):
                    try await writer.write(format.event(.object([("error", .string(message)), ("finished", true)])))
                }
            }
            try await writer.finish(nil)
        })
    }

    private func countTokens(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        var request = request
        let body = try await support.readJSON(&request)
        let fields = try ParameterReader(body)
        guard case .string(let text)? = body["text"] else {
            throw APIError.invalid("text", "is required and must be a string")
        }
        let options = GenerationOptions(addSpecialTokens: try fields.bool("add_special_tokens", default: true))
        let events = try await pipeline.submit(kind: .tokenize, input: .text(text), options: options, context: context, endpoint: "/tokens")
        let ids = try await support.answer(context, events) { event in
            if case .tokenized(let ids) = event { ids } else { nil }
        }
        return json(.object([("ntokens", .int(Int64(ids.count)))]))
    }

    private func score(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        var request = request
        let body = try await support.readJSON(&request)
        _ = try ParameterReader(body["parameters"], path: "parameters.")
        guard case .string(let chat)? = body["chat"] else {
            throw APIError.invalid("chat", "is required and must be a string")
        }
        guard configuration.hasRewardHead else {
            throw APIError(.badRequest, "this model has no reward head (cls.output.weight); /get_score needs a reward model")
        }
        let events = try await pipeline.submit(
            kind: .score, input: .text(chat), options: GenerationOptions(maxNewTokens: 0), context: context, endpoint: "/get_score")
        let (value, promptTokens) = try await support.answer(context, events) { event in
            if case .score(let value, let promptTokens) = event { (value, promptTokens) } else { nil }
        }
        return json(.object([
            ("score", .double(Double(value))), ("prompt_tokens", .int(Int64(promptTokens))), ("finish_reason", "stop"),
        ]))
    }
}
