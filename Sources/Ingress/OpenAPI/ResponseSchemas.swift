import LightServeCore

/// JSON Schemas of the bodies the server answers with, for `/openapi.json`. The shapes are the
/// ones ``LightLLMResponses``, ``OpenAIResponses`` and the routes build; the schemathesis run in
/// the tests checks every response against them.
enum ResponseSchemas {
    static func object(_ properties: [(String, JSON)], required: [String]? = nil) -> JSON {
        .object([
            ("type", "object"), ("properties", .object(properties)),
            ("required", .array((required ?? properties.map(\.0)).map { .string($0) })),
        ])
    }

    static func type(_ names: String...) -> JSON {
        .object([("type", names.count == 1 ? .string(names[0]) : .array(names.map { .string($0) }))])
    }

    static let string = type("string")
    static let integer = type("integer")
    static let number = type("number")
    static let boolean = type("boolean")
    static let anyObject = type("object")

    static func array(_ items: JSON) -> JSON { .object([("type", "array"), ("items", items)]) }

    /// LightLLM's error body.
    static let lightLLMError = object([("message", string)])

    /// OpenAI's error body.
    static let openAIError = object([
        ("error", object([
            ("message", string), ("type", string), ("param", type("string", "null")), ("code", type("string", "null")),
        ])),
    ])

    static let message = object([("message", string)])
    static let status = object([("status", .object([("enum", .array(["ok", "draining", "error"]))]))])

    static let modelName = object([("model_name", string), ("architecture", string), ("quantization", string)])
    static let tokenLoad = object([("current_load", number), ("logical_max_load", number), ("dynamic_max_load", number)])

    /// A scalar for one returned sequence, a list for several.
    private static func scalarOrList(_ item: JSON) -> JSON { .object([("anyOf", .array([item, array(item)]))]) }

    static let lightLLMToken = object(
        [
            ("id", integer), ("text", string), ("logprob", number), ("cumlogprob", number), ("special", boolean),
            ("count_output_tokens", integer), ("prompt_tokens", integer),
        ], required: ["id", "text", "logprob", "special", "count_output_tokens", "prompt_tokens"])

    static let generate = object(
        [
            ("generated_text", array(string)), ("count_output_tokens", scalarOrList(integer)), ("finish_reason", scalarOrList(string)),
            ("prompt_tokens", integer), ("prompt_token_ids", array(integer)), ("prompt_logprobs", array(type("array"))),
            ("tokens", scalarOrList(array(lightLLMToken))),
        ], required: ["generated_text", "count_output_tokens", "finish_reason", "prompt_tokens"])

    /// One server-sent event (OpenAPI 3.1 describes an event stream's events one by one): its
    /// `data` is JSON text of `payload`'s shape, or (`done`) OpenAI's closing `[DONE]`.
    static func event(_ payload: JSON, _ summary: String, done: Bool = false) -> JSON {
        let json: JSON = .object([("contentMediaType", "application/json"), ("contentSchema", payload)])
        let data: JSON = .object([
            ("type", "string"), ("anyOf", .array(done ? [.object([("const", "[DONE]")]), json] : [json])),
            ("description", .string(summary)),
        ])
        return .object([
            ("type", "object"), ("required", .array(["data"])), ("properties", .object([("data", data), ("event", string)])),
        ])
    }

    /// A `/generate_stream` event: a token, or the error that ends the stream.
    static let lightLLMEvent = event(
        .object([("anyOf", .array([
            object(
                [("token", lightLLMToken), ("generated_text", type("null")), ("finished", boolean), ("finish_reason", type("string", "null"))],
                required: ["token", "finished", "finish_reason"]),
            object([("error", string), ("finished", boolean)]),
        ]))]),
        "One generated token; a failure ends the stream with {\"error\", \"finished\": true}.")

    /// An OpenAI stream event: a chunk, the closing usage chunk, an error, or `[DONE]`.
    static let openAIEvent = event(
        .object([("anyOf", .array([
            object([("id", string), ("object", string), ("created", integer), ("model", string), ("choices", array(anyObject))]),
            openAIError,
        ]))]),
        "A chunk (or the error that ends the stream); the last event is [DONE].", done: true)

    static let tokenCount = object([("ntokens", integer)])
    static let score = object([("score", number), ("prompt_tokens", integer), ("finish_reason", string)])

    static let model = object(
        [
            ("id", string), ("object", .object([("const", "model")])), ("created", integer), ("owned_by", string),
            ("architecture", string), ("quantization", string),
        ], required: ["id", "object", "created", "owned_by"])
    static let models = object([("object", .object([("const", "list")])), ("data", array(model))])

    static let usage = object([("prompt_tokens", integer), ("completion_tokens", integer), ("total_tokens", integer)])

    /// A completion or chat completion: its choices are checked as objects, the envelope field
    /// by field.
    static func completion(object name: String) -> JSON {
        object(
            [
                ("id", string), ("object", .object([("const", .string(name))])), ("created", integer), ("model", string),
                ("choices", array(object([("index", integer), ("finish_reason", type("string", "null"))]))), ("usage", usage),
            ], required: ["id", "object", "created", "model", "choices"])
    }

    static let renderedChat = object([("prompt", string)])
    static let tokenIDs = object([("ids", array(integer))])
    static let text = object([("text", string)])

    static let load = array(object([("dp_rank", integer), ("num_reqs", integer), ("num_waiting_reqs", integer), ("num_tokens", integer)]))
    static let serverInfo = object([
        ("served_model_name", string), ("context_length", integer), ("max_total_tokens", integer),
        ("max_running_requests", integer), ("max_req_input_len", integer), ("dp_size", integer), ("version", string),
    ])
    static let modelInfo = object([
        ("served_model_name", string), ("is_generation", boolean), ("context_length", integer), ("max_total_tokens", integer),
        ("max_running_requests", integer), ("version", string),
    ])
    static let flushed = object([("message", string), ("freed_slots", integer)])

    static let stages = object([
        ("window_seconds", number), ("stages", array(anyObject)), ("kv", anyObject), ("connections", anyObject), ("compute", anyObject),
    ])
    static let consoleServer = object([
        ("model_name", string), ("chat_template", boolean), ("default_max_new_tokens", integer), ("chat_max_new_tokens", integer),
        ("kv_capacity", integer), ("max_waiting_requests", integer), ("trace_enabled", boolean), ("started_at", integer),
    ])
    static let throughput = object([
        ("interval_seconds", integer), ("output_tokens_per_second", array(integer)), ("current_second_tokens", integer),
        ("output_tokens_total", integer),
    ])
    static let chromeTrace = object([("traceEvents", array(anyObject)), ("displayTimeUnit", string)])
    static let document = object([("openapi", string), ("info", anyObject), ("paths", anyObject)])
}
