import HTTPTypes
import Hummingbird
import LightServeCore

/// LightLLM's HTTP API over the pipeline: health and load probes, `/generate`,
/// `/generate_stream` (server-sent events), `POST /`, `/tokens` and `/get_score`.
///
/// Every check, tokenization and admission included, happens before a response's status is
/// chosen; once a stream's 200 is out, a failure ends it with a final `data:{"error": ...}`.
/// A client that disconnects, even before its first token, cancels its request.
public struct LightLLMRoutes: Sendable {
    let pipeline: PipelineClient
    let configuration: IngressConfiguration
    private let support: HandlerSupport

    public init(pipeline: PipelineClient, configuration: IngressConfiguration) {
        self.pipeline = pipeline
        self.configuration = configuration
        self.support = HandlerSupport(pipeline: pipeline, maxBodyBytes: configuration.maxBodyBytes)
    }

    /// Methods each route answers; any other method gets 405.
    static let routes: [(path: RouterPath, methods: [HTTPRequest.Method])] = [
        ("/health", [.get, .head]), ("/healthz", [.get]), ("/liveness", [.get]), ("/readiness", [.get]),
        ("/get_model_name", [.get]), ("/token_load", [.get]),
        ("/generate", [.post]), ("/generate_stream", [.post]), ("/", [.get, .post]), ("/tokens", [.post]),
        ("/get_score", [.post]),
    ]

    public func register(on router: Router<ServerRequestContext>) {
        router.get("/health") { _, _ in health() }
        router.head("/health") { _, _ in health() }
        router.get("/healthz") { _, _ in health() }
        router.get("/liveness") { _, _ in json(.object([("status", "ok")])) }
        router.get("/readiness") { _, _ in
            switch pipeline.load.health {
            case .healthy: json(.object([("status", "ok")]))
            case .draining: json(.object([("status", "draining")]), status: .serviceUnavailable)
            case .failed: json(.object([("status", "error")]), status: .serviceUnavailable)
            }
        }
        router.get("/get_model_name") { _, _ in
            json(.object([
                ("model_name", .string(configuration.modelName)), ("architecture", .string(configuration.architecture)),
                ("quantization", .string(configuration.quantization)),
            ]))
        }
        router.get("/token_load") { _, _ in
            let load = pipeline.load.tokenLoad
            return json(.object([
                ("current_load", .double(load.current)), ("logical_max_load", .double(load.logicalMax)),
                ("dynamic_max_load", .double(load.dynamicMax)),
            ]))
        }
        router.post("/generate") { request, context in try await generate(request, context, stream: false) }
        router.post("/generate_stream") { request, context in try await generate(request, context, stream: true) }
        router.post("/") { request, context in try await generate(request, context, stream: nil) }
        router.post("/tokens") { request, context in try await countTokens(request, context) }
        router.post("/get_score") { request, context in try await score(request, context) }
        Self.registerMethodNotAllowed(Self.routes, on: router)
    }

    /// Answers 405 with an `Allow` header for every method a known path does not take.
    static func registerMethodNotAllowed<Context: RequestContext>(
        _ routes: [(path: RouterPath, methods: [HTTPRequest.Method])], on router: Router<Context>
    ) {
        let all: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options]
        for (path, allowed) in routes {
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            for method in all where !allowed.contains(method) {
                router.on(path, method: method) { request, _ -> Response in
                    var response = APIError(.methodNotAllowed, "\(request.method) is not allowed on \(path); use \(allow)").response
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
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
        let body = try await readJSON(&request)
        let parsed = try LightLLMRequest.parse(
            body, defaultMaxNewTokens: configuration.defaultMaxNewTokens, maxNewTokensLimit: configuration.maxNewTokensLimit)
        let streaming = stream ?? parsed.stream ?? false
        if streaming { try parsed.checkStreamable() }
        let events = try await pipeline.submit(
            kind: .generate, input: parsed.input, options: parsed.options, context: context, endpoint: request.uri.path)
        if streaming {
            return try await streamResponse(context, events: events)
        }
        return try await whileConnected(context, events) {
            var collector = GenerationCollector(options: parsed.options)
            var promptTokens = 0
            while let event = await events.next() {
                switch event {
                case .accepted(let count):
                    promptTokens = count
                case .tokens(let tokens):
                    collector.add(tokens)
                    if collector.isComplete {
                        return json(LightLLMResponses.generate(collector.best, promptTokens: promptTokens, details: parsed.returnDetails))
                    }
                default:
                    try Self.failIfTerminal(event)
                }
            }
            throw CancellationError()
        }
    }

    /// Waits for admission, then answers 200 and writes one server-sent event per token. The
    /// response ends only after the handler has let go of the request, so the connection is
    /// ready for the client's next request the moment the client sees the last event.
    private func streamResponse(_ context: ServerRequestContext, events: RequestEvents) async throws -> Response {
        let promptTokens = try await support.awaitAdmission(context, [events])[0]
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await whileConnected(context, events) {
                while let event = await events.next() {
                    switch event {
                    case .tokens(let tokens):
                        for token in tokens {
                            try await writer.write(Self.sse(LightLLMResponses.streamEvent(token, promptTokens: promptTokens)))
                            if token.finishReason != nil { return }
                        }
                    case .failed(let message), .rejected(.engineFailure(let message)):
                        try await writer.write(Self.sse(.object([("error", .string(message)), ("finished", true)])))
                        return
                    default:
                        continue
                    }
                }
                throw CancellationError()
            }
            try await writer.finish(nil)
        })
    }

    private func countTokens(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        var request = request
        let body = try await readJSON(&request)
        let fields = try ParameterReader(body)
        guard case .string(let text)? = body["text"] else {
            throw APIError.invalid("text", "is required and must be a string")
        }
        let options = GenerationOptions(addSpecialTokens: try fields.bool("add_special_tokens", default: true))
        let events = try await pipeline.submit(kind: .tokenize, input: .text(text), options: options, context: context, endpoint: "/tokens")
        return try await whileConnected(context, events) {
            while let event = await events.next() {
                if case .tokenized(let ids) = event { return json(.object([("ntokens", .int(Int64(ids.count)))])) }
                try Self.failIfTerminal(event)
            }
            throw CancellationError()
        }
    }

    private func score(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        var request = request
        let body = try await readJSON(&request)
        _ = try ParameterReader(body["parameters"], path: "parameters.")
        guard case .string(let chat)? = body["chat"] else {
            throw APIError.invalid("chat", "is required and must be a string")
        }
        guard configuration.hasRewardHead else {
            throw APIError(.badRequest, "this model has no reward head (cls.output.weight); /get_score needs a reward model")
        }
        let events = try await pipeline.submit(
            kind: .score, input: .text(chat), options: GenerationOptions(maxNewTokens: 0), context: context, endpoint: "/get_score")
        return try await whileConnected(context, events) {
            while let event = await events.next() {
                if case .score(let value, let promptTokens) = event {
                    return json(.object([
                        ("score", .double(Double(value))), ("prompt_tokens", .int(Int64(promptTokens))), ("finish_reason", "stop"),
                    ]))
                }
                try Self.failIfTerminal(event)
            }
            throw CancellationError()
        }
    }

    // MARK: Helpers

    private func readJSON(_ request: inout Request) async throws -> JSON {
        try await support.readJSON(&request)
    }

    private func whileConnected<Value: Sendable>(
        _ context: ServerRequestContext, _ events: RequestEvents, _ operation: () async throws -> Value
    ) async throws -> Value {
        try await support.whileConnected(context, [events], operation)
    }

    private static func failIfTerminal(_ event: RequestEvent) throws {
        try HandlerSupport.failIfTerminal(event)
    }

    private static func sse(_ event: JSON) -> ByteBuffer {
        ByteBuffer(string: "data:" + event.serialized + "\n\n")
    }
}
