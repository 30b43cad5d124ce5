import HTTPTypes
import LightServeCore

/// The OpenAPI 3.1 document `GET /openapi.json` serves. Its paths and methods are the
/// ``RouteTable``'s, so a route cannot be left out; each request body is the JSON Schema of the
/// ``RequestField`` declarations its handler reads through, with this server's limits (the most
/// tokens a request may ask for), so the document cannot drift from the parser.
public struct OpenAPIDocument: Sendable {
    /// The document. A route of the table this builder has no description of is listed with
    /// an empty summary and no 200 body (a test keeps there being none).
    public let json: JSON

    /// One operation's description: its request, its answers and whether it needs the key.
    struct Operation {
        var summary: String
        var tag: String
        var body: JSON?
        var query: [JSON] = []
        /// 200's media types and their schemas; empty for a 200 without a body (HEAD), nil
        /// for an operation that never answers 200 on this server.
        var ok: [(String, JSON)]?
        /// Statuses besides 401 and those every JSON body may get (400, 413, 415).
        var errors: [HTTPResponse.Status] = []
        /// Open without an API key (the health probes, the console page).
        var open = false
        /// Submits to the pipeline, so may answer 503 when overloaded or draining.
        var pipeline = false
    }

    public init(routes: [(path: String, methods: [HTTPRequest.Method])], configuration: IngressConfiguration) {
        var paths: [(String, JSON)] = []
        for (path, methods) in routes {
            var operations: [(String, JSON)] = []
            for method in methods {
                let operation = Self.describe(method, path, configuration) ?? Operation(summary: "", tag: "undescribed", ok: nil)
                operations.append((method.rawValue.lowercased(), Self.operation(operation, method: method, path: path)))
            }
            let captures = path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }
            if !captures.isEmpty {
                operations.append(("parameters", .array(captures.map { capture in
                    .object([
                        ("name", .string(String(capture.dropFirst().dropLast()))), ("in", "path"), ("required", true),
                        ("schema", ResponseSchemas.string),
                    ])
                })))
            }
            paths.append((path, .object(operations)))
        }
        json = .object([
            ("openapi", "3.1.0"),
            ("info", .object([
                ("title", "LightServe"), ("version", .string(WorkerInfo.currentVersion)),
                ("description", "LightLLM's and OpenAI's HTTP APIs over one model. Every number a request gives is range-checked; a field out of its range is refused with 400 naming it."),
            ])),
            ("paths", .object(paths)),
            ("components", .object([
                ("securitySchemes", .object([
                    ("apiKey", .object([
                        ("type", "http"), ("scheme", "bearer"),
                        ("description", "Needed when the server runs with --api-key: Authorization: Bearer <key>."),
                    ])),
                ])),
            ])),
        ])
    }

    /// One operation object: parameters, body, the 200 and the error responses in the shape the
    /// path's API answers with (OpenAI's under `/v1/` and for 401, LightLLM's elsewhere).
    private static func operation(_ operation: Operation, method: HTTPRequest.Method, path: String) -> JSON {
        var members: [(String, JSON)] = [
            ("operationId", .string(operationID(method, path))), ("summary", .string(operation.summary)),
            ("tags", .array([.string(operation.tag)])),
        ]
        if !operation.query.isEmpty { members.append(("parameters", .array(operation.query))) }
        members.append(("security", .array(operation.open ? [.object([])] : [.object([("apiKey", .array([]))]), .object([])])))
        if let body = operation.body {
            members.append(("requestBody", .object([
                ("required", true), ("content", .object([("application/json", .object([("schema", body)]))])),
            ])))
        }
        let noBody = method == .head
        var responses: [(String, JSON)] = []
        if let ok = operation.ok {
            var success: [(String, JSON)] = [("description", "Success.")]
            if !ok.isEmpty { success.append(("content", .object(ok.map { type, schema in (type, .object([("schema", schema)])) }))) }
            responses.append(("200", .object(success)))
        }
        var errors = operation.errors
        if operation.body != nil { errors += [.badRequest, .contentTooLarge, .unsupportedMediaType] }
        if operation.pipeline { errors.append(.serviceUnavailable) }
        if !operation.open { errors.append(.unauthorized) }
        let openAI = path.hasPrefix("/v1/")
        var seen = Set<Int>()
        for status in errors.sorted(by: { $0.code < $1.code }) where seen.insert(status.code).inserted {
            let shape = openAI || status == .unauthorized ? ResponseSchemas.openAIError : ResponseSchemas.lightLLMError
            var response: [(String, JSON)] = [("description", .string(status.reasonPhrase))]
            if !noBody { response.append(("content", .object([("application/json", .object([("schema", shape)]))]))) }
            responses.append((String(status.code), .object(response)))
        }
        members.append(("responses", .object(responses)))
        return .object(members)
    }

    private static func operationID(_ method: HTTPRequest.Method, _ path: String) -> String {
        let words = path.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        return ([method.rawValue.lowercased()] + (words.isEmpty ? ["root"] : words)).joined(separator: "_")
    }

    private static let json = "application/json"
    private static let eventStream = "text/event-stream"

    /// A body that must have one of two fields (a name and its llama.cpp alias), either one.
    private static func eitherRequired(_ body: JSON, _ first: String, _ second: String) -> JSON {
        guard case .object(var members) = body, let properties = body["properties"] else { return body }
        members.append(("anyOf", .array([first, second].map { name in
            .object([("required", .array([.string(name)])), ("properties", .object([(name, Self.nonNull(properties[name]))]))])
        })))
        return .object(members)
    }

    /// A property's schema without `null`: given, an alias must hold a value.
    private static func nonNull(_ schema: JSON?) -> JSON {
        guard case .array(let types)? = schema?["type"] else { return schema ?? .object([]) }
        return .object([("type", .array(types.filter { $0 != "null" }))])
    }

    private static func query(_ name: String, _ schema: JSON, _ summary: String) -> JSON {
        .object([("name", .string(name)), ("in", "query"), ("required", false), ("schema", schema), ("description", .string(summary))])
    }

    /// What the route `method path` takes and answers; nil for a route this builder does not know.
    static func describe(_ method: HTTPRequest.Method, _ path: String, _ configuration: IngressConfiguration) -> Operation? {
        let limit = configuration.maxNewTokensLimit
        let vocabulary = configuration.vocabularySize
        let lightLLM = LightLLMFields(
            defaultMaxNewTokens: configuration.defaultMaxNewTokens, maxNewTokensLimit: limit, vocabularySize: vocabulary)
        switch (method, path) {
        case (.get, "/health"), (.get, "/healthz"):
            return Operation(
                summary: "Health: 200 while the server takes requests, 503 draining or failed.", tag: "health",
                ok: [(json, ResponseSchemas.message)], errors: [.serviceUnavailable], open: true)
        case (.head, "/health"):
            return Operation(summary: "Health, without a body.", tag: "health", ok: [], errors: [.serviceUnavailable], open: true)
        case (.get, "/liveness"):
            return Operation(summary: "The process answers.", tag: "health", ok: [(json, ResponseSchemas.status)], open: true)
        case (.get, "/readiness"):
            return Operation(
                summary: "Ready for requests: 503 draining or failed.", tag: "health", ok: [(json, ResponseSchemas.status)],
                errors: [.serviceUnavailable], open: true)
        case (.get, "/get_model_name"):
            return Operation(summary: "The served model.", tag: "lightllm", ok: [(json, ResponseSchemas.modelName)])
        case (.get, "/token_load"):
            return Operation(summary: "KV slots in use, as fractions of the pool.", tag: "lightllm", ok: [(json, ResponseSchemas.tokenLoad)])
        case (.post, "/generate"):
            return Operation(
                summary: "Generate (LightLLM).", tag: "lightllm", body: lightLLM.schema(closed: false),
                ok: [(json, ResponseSchemas.generate)], pipeline: true)
        case (.post, "/generate_stream"):
            return Operation(
                summary: "Generate, streamed as server-sent events data:{token, finished, ...} (LightLLM).", tag: "lightllm",
                body: lightLLM.schema(closed: false), ok: [(eventStream, ResponseSchemas.lightLLMEvent)], pipeline: true)
        case (.post, "/"):
            return Operation(
                summary: "Generate (LightLLM's POST /): streamed with \"stream\": true.", tag: "lightllm",
                body: lightLLM.schema(closed: false), ok: [(json, ResponseSchemas.generate), (eventStream, ResponseSchemas.lightLLMEvent)],
                pipeline: true)
        case (.post, "/tokens"):
            return Operation(
                summary: "Count a text's tokens.", tag: "lightllm", body: LightLLMFields.TokenCount().schema(closed: false),
                ok: [(json, ResponseSchemas.tokenCount)], pipeline: true)
        case (.post, "/get_score"):
            // A model without a reward head answers every request 400, never 200.
            return Operation(
                summary: "A reward model's score (400 for a model without a reward head).", tag: "lightllm",
                body: LightLLMFields.Score().schema(closed: false),
                ok: configuration.hasRewardHead ? [(json, ResponseSchemas.score)] : nil, pipeline: true)
        case (.get, "/v1/models"):
            return Operation(summary: "The served model, as OpenAI lists models.", tag: "openai", ok: [(json, ResponseSchemas.models)])
        case (.get, "/v1/models/{id}"):
            return Operation(
                summary: "The served model; 404 for any other name.", tag: "openai", ok: [(json, ResponseSchemas.model)],
                errors: [.notFound])
        case (.post, "/v1/completions"):
            return Operation(
                summary: "OpenAI completions.", tag: "openai",
                body: OpenAIFields(.completions, maxTokensLimit: limit, vocabularySize: vocabulary).schema(closed: true),
                ok: [(json, ResponseSchemas.completion(object: "text_completion")), (eventStream, ResponseSchemas.openAIEvent)], pipeline: true)
        case (.post, "/v1/chat/completions"):
            return Operation(
                summary: "OpenAI chat completions.", tag: "openai", body: OpenAIFields(.chat, maxTokensLimit: limit, vocabularySize: vocabulary).schema(closed: true),
                ok: [(json, ResponseSchemas.completion(object: "chat.completion")), (eventStream, ResponseSchemas.openAIEvent)], pipeline: true)
        case (.post, "/apply_chat_template"):
            return Operation(
                summary: "Render a conversation with the model's chat template.", tag: "utility",
                body: UtilityFields.ChatTemplate().schema(closed: false), ok: [(json, ResponseSchemas.renderedChat)], pipeline: true)
        case (.post, "/tokenize"):
            let body = Self.eitherRequired(UtilityFields.Tokenize().schema(closed: false), "text", "content")
            return Operation(
                summary: "Token ids of a text.", tag: "utility", body: body, ok: [(json, ResponseSchemas.tokenIDs)], pipeline: true)
        case (.post, "/detokenize"):
            let body = Self.eitherRequired(UtilityFields.Detokenize(vocabularySize: vocabulary).schema(closed: false), "ids", "tokens")
            return Operation(
                summary: "The text of token ids.", tag: "utility", body: body, ok: [(json, ResponseSchemas.text)], pipeline: true)
        case (.get, "/get_load"):
            return Operation(summary: "Load, as sglang-router polls it.", tag: "worker", ok: [(json, ResponseSchemas.load)])
        case (.get, "/server_info"), (.get, "/get_server_info"):
            return Operation(summary: "Server settings, as SGLang names them.", tag: "worker", ok: [(json, ResponseSchemas.serverInfo)])
        case (.get, "/model_info"), (.get, "/get_model_info"):
            return Operation(summary: "The served model, as SGLang describes it.", tag: "worker", ok: [(json, ResponseSchemas.modelInfo)])
        case (.post, "/flush_cache"):
            return Operation(
                summary: "Drop every cached prefix no running request uses.", tag: "worker", ok: [(json, ResponseSchemas.flushed)],
                errors: [.serviceUnavailable])
        case (.get, "/metrics"):
            return Operation(summary: "Prometheus metrics.", tag: "debug", ok: [("text/plain", ResponseSchemas.string)])
        case (.get, "/debug/stages"):
            return Operation(summary: "Per-stage queues and service times, the KV pool, connections.", tag: "debug", ok: [(json, ResponseSchemas.stages)])
        case (.get, "/debug/trace"):
            return Operation(
                summary: "The last seconds of the trace, as Chrome trace JSON or an SVG timeline (400 with tracing off).", tag: "debug",
                query: [
                    query("seconds", .object([
                        ("type", "number"), ("exclusiveMinimum", 0), ("maximum", .double(DebugRoutes.maxTraceSeconds)),
                    ]), "Seconds of trace, default 10."),
                    query("format", .object([("enum", .array(["json", "svg"]))]), "json (default) or svg."),
                ],
                ok: [(json, ResponseSchemas.chromeTrace), ("image/svg+xml", ResponseSchemas.string)], errors: [.badRequest, .tooManyRequests])
        case (.get, "/"):
            return Operation(
                summary: "The web console (text/html); 406 to a client that does not accept HTML.", tag: "console",
                ok: [("text/html", ResponseSchemas.string)], errors: [.notAcceptable], open: true)
        case (.get, "/debug/server"):
            return Operation(summary: "What the console needs to know once.", tag: "console", ok: [(json, ResponseSchemas.consoleServer)])
        case (.get, "/debug/throughput"):
            return Operation(
                summary: "Output tokens per second over the last minutes.", tag: "console",
                query: [query("seconds", .object([
                    ("type", "integer"), ("minimum", 1), ("maximum", .int(Int64(OutputTokenSeries.defaultSeconds - 1))),
                ]), "Whole seconds, default all.")],
                ok: [(json, ResponseSchemas.throughput)], errors: [.badRequest])
        case (.get, "/debug/timeline"):
            return Operation(
                summary: "The request timeline as SVG (400 with tracing off).", tag: "console",
                query: [query("seconds", .object([
                    ("type", "integer"), ("minimum", 1), ("maximum", .int(TraceWindow.defaultKeep.components.seconds)),
                ]), "Whole seconds, default 10.")],
                ok: [("image/svg+xml", ResponseSchemas.string)], errors: [.badRequest])
        case (.get, "/openapi.json"):
            return Operation(summary: "This document.", tag: "meta", ok: [(json, ResponseSchemas.document)])
        default:
            return nil
        }
    }
}
