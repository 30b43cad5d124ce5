import LightServeCore

/// A `/v1/completions` or `/v1/chat/completions` body, validated with OpenAI's defaults and
/// ranges. Like OpenAI, unknown fields are refused; fields LightServe cannot honour (tools,
/// logit_bias, ...) are refused by name rather than ignored.
public struct OpenAIRequest: Sendable {
    public enum Endpoint: Sendable {
        case completions
        case chat
    }

    public var endpoint: Endpoint
    /// The generation, in the form both APIs share: completions' prompts, or the chat as one
    /// prompt the Tokenize stage renders.
    var call: GenerationCall
    public var stream: Bool
    public var includeUsage: Bool
    /// Log-probabilities wanted (completions: `logprobs` ≥ 0; chat: `logprobs: true`).
    public var logprobs: Bool
    /// Completions' `echo`: the prompt is prepended to each choice.
    public var echo: Bool

    public var prompts: [PromptInput] { call.prompts }
    public var options: GenerationOptions { call.options }

    static let sharedFields = Set<String>([
        "model", "max_tokens", "temperature", "top_p", "n", "stream", "stop", "presence_penalty", "frequency_penalty",
        "seed", "logprobs", "user", "stream_options", "top_k", "repetition_penalty", "ignore_eos", "min_tokens",
        "logit_bias", "store", "metadata", "service_tier", "response_format",
        // LightLLM's constraint parameters, taken here too (see ParameterReader.constraint()).
        "guided_json", "regular_constraint", "guided_grammar", "allowed_token_ids",
    ]).union(routerFields)
    /// Fields sglang-router 0.3.2 adds to every body it proxies (SGLang's own extensions):
    /// honoured where LightServe can (`no_stop_trim`, `skip_special_tokens`,
    /// `max_completion_tokens`, `separate_reasoning`, `stream_reasoning` true), accepted when they
    /// ask for nothing (`return_hidden_states` and `continue_final_message` only when false).
    static let routerFields: Set<String> = [
        "no_stop_trim", "skip_special_tokens", "return_hidden_states", "separate_reasoning", "stream_reasoning",
        "continue_final_message", "max_completion_tokens",
    ]
    static let completionFields = sharedFields.union(["prompt", "echo", "best_of", "suffix"])
    static let chatFields = sharedFields.union([
        "messages", "max_completion_tokens", "top_logprobs", "tools", "tool_choice", "functions", "function_call",
        "parallel_tool_calls", "audio", "modalities", "prediction", "reasoning_effort",
        "web_search_options", "chat_template_kwargs",
    ])

    /// Parses a body for `endpoint`; `defaultMaxTokens` applies to completions (chat runs to the
    /// context by default, capped at `chatMaxTokens`). Every number is range-checked before
    /// anything computes with it; `maxTokensLimit` is the most tokens any request may generate.
    /// `toolCallFormat` is how the model's chat template has it write tool calls (nil: it cannot
    /// take tools); `reasoning`, the tags a reasoning model thinks in, whose block a chat answer
    /// returns as `reasoning_content`.
    public static func parse(
        _ body: JSON, endpoint: Endpoint, defaultMaxTokens: Int, chatMaxTokens: Int, maxTokensLimit: Int,
        toolCallFormat: ToolCallFormat? = nil, reasoning: ReasoningTags? = nil
    ) throws(APIError) -> OpenAIRequest {
        let r = try ParameterReader(body)
        guard case .object(let members) = body else { throw APIError.invalid("body", "must be a JSON object") }
        let allowed = endpoint == .chat ? chatFields : completionFields
        if let unknown = members.map(\.0).first(where: { !allowed.contains($0) }) {
            throw APIError.invalid(unknown, "is not a recognised parameter")
        }
        try refuseUnsupported(body, endpoint: endpoint)
        if let model = body["model"], !(model.string != nil || model == .null) {
            throw APIError.invalid("model", "must be a string")
        }

        var options = GenerationOptions(
            sampling: try r.sampling(.openAI), includeStopSequence: false, addSpecialTokens: endpoint == .completions)
        options.stopSequences = try r.strings("stop", max: 4)
        let n = try r.integer("n", default: 1, in: 1...8)
        options.returnCount = n
        options.bestOf = endpoint == .completions ? try r.integer("best_of", default: n, in: n...8, "between n (\(n)) and 8") : n
        let limit = max(1, maxTokensLimit)
        let limitRule = "between 1 and \(limit) (the server's --max-req-total-len less one prompt token)"

        var logprobs = false
        switch endpoint {
        case .completions:
            if r.has("logprobs") {
                options.sampling.topLogprobs = try r.integer("logprobs", default: 0, in: 0...5)
                logprobs = true
            }
            let limitField = r.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens"
            options.maxNewTokens = try r.integer(limitField, default: min(defaultMaxTokens, limit), in: 1...limit, limitRule)
        case .chat:
            logprobs = try r.bool("logprobs", default: false)
            let top = try r.integer("top_logprobs", default: 0, in: 0...20)
            if top > 0 && !logprobs { throw APIError.invalid("top_logprobs", "needs logprobs: true") }
            options.sampling.topLogprobs = top
            let limitField = r.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens"
            if r.has(limitField) {
                options.maxNewTokens = try r.integer(limitField, default: chatMaxTokens, in: 1...limit, limitRule)
            } else {
                options.maxNewTokens = min(chatMaxTokens, limit)
                options.clampToContext = true
            }
        }
        options.includeStopSequence = try r.bool("no_stop_trim", default: false)
        options.skipSpecialTokens = try r.bool("skip_special_tokens", default: true)
        // SGLang's switches: reasoning apart from the answer (or left in it), streamed as it comes.
        let separateReasoning = try r.bool("separate_reasoning", default: true)
        let streamReasoning = try r.bool("stream_reasoning", default: true)
        for field in ["return_hidden_states", "continue_final_message"] {
            if try r.bool(field, default: false) { throw APIError.invalid(field, "is not supported by LightServe") }
        }
        // EOS counts as an output token: min_tokens 0 and 1 both let the first token end it.
        options.sampling.minNewTokens = try r.integer(
            "min_tokens", default: 0, in: 0...options.maxNewTokens, "between 0 and the token limit (\(options.maxNewTokens))")
        options.constraint = try r.constraint()
        if let format = try responseFormat(body["response_format"]) {
            if let given = options.constraint {
                throw APIError.invalid("response_format", "cannot be combined with \(given.field): give at most one constraint")
            }
            options.constraint = format
        }

        let stream = try r.bool("stream", default: false)
        let streamOptions = try ParameterReader(body["stream_options"], path: "stream_options.")
        let includeUsage = try streamOptions.bool("include_usage", default: false)
        if includeUsage && !stream { throw APIError.invalid("stream_options", "is only allowed with stream: true") }
        if stream && options.bestOf != options.returnCount {
            throw APIError.invalid("best_of", "cannot be streamed unless it equals n")
        }

        let prompts: [PromptInput]
        var echo = false
        var output = OutputParsing.plain
        switch endpoint {
        case .completions:
            prompts = try PromptReader.batch(body["prompt"], field: "prompt")
            echo = try r.bool("echo", default: false)
            if echo && logprobs {
                if stream { throw APIError.invalid("echo", "with logprobs cannot be streamed; ask without stream") }
                options.promptLogprobs = options.sampling.topLogprobs
            }
        case .chat:
            let tools = try parseTools(body["tools"])
            let choice = try ToolChoice.parse(body["tool_choice"], tools: tools)
            let parallel = try r.bool("parallel_tool_calls", default: true)
            if let tools, choice != .none {
                guard let format = toolCallFormat else {
                    throw APIError.invalid("tools", "this model's chat template writes no tool calls LightServe can read")
                }
                if let constraint = format.constraint(tools: tools, choice: choice, parallel: parallel) {
                    if let given = options.constraint {
                        throw APIError.invalid("tools", "cannot be combined with \(given.field) unless tool_choice is \"none\"")
                    }
                    options.constraint = constraint
                }
                output.toolCalls = format
                output.toolNames = Set(tools.compactMap { $0["function"]?["name"]?.string })
            }
            output.reasoning = separateReasoning ? reasoning : nil
            if output.reasoning != nil, stream, !streamReasoning {
                throw APIError.invalid("stream_reasoning", "false is not supported: reasoning streams as it is generated")
            }
            let variables = try ParameterReader(body["chat_template_kwargs"], path: "chat_template_kwargs.").members
            prompts = [.chat(ChatPrompt(
                messages: try parseMessages(body["messages"]), tools: choice == .none ? nil : tools, variables: variables))]
        }
        return OpenAIRequest(
            endpoint: endpoint, call: GenerationCall(prompts: prompts, options: options, output: output), stream: stream,
            includeUsage: includeUsage, logprobs: logprobs, echo: echo)
    }

    /// `response_format`: `{"type": "text"}` (no constraint), `{"type": "json_object"}`,
    /// `{"type": "json_schema", "json_schema": {"name", "schema", "strict"?, "description"?}}`,
    /// or LightLLM's `{"type": "json_schema", "schema": {...}}`.
    static func responseFormat(_ value: JSON?) throws(APIError) -> OutputConstraint? {
        let r = try ParameterReader(value, path: "response_format.")
        guard value != nil, value != .null else { return nil }
        switch r["type"] {
        case .string("text")?:
            return nil
        case .string("json_object")?:
            return OutputConstraint(.pattern(.jsonObject), field: "response_format")
        case .string("json_schema")?:
            if r.has("schema") {
                return OutputConstraint(.pattern(.jsonSchema(try r.schema("schema"))), field: "response_format.schema")
            }
            let spec = try ParameterReader(r["json_schema"], path: "response_format.json_schema.")
            guard r.has("json_schema") else {
                throw APIError.invalid("response_format.json_schema", "is required for type json_schema")
            }
            guard let name = spec["name"]?.string, isFunctionName(name) else {
                throw APIError.invalid("response_format.json_schema.name", "is required: 1 to 64 letters, digits, '_' or '-'")
            }
            _ = try spec.bool("strict", default: false)
            let schema: JSON = spec.has("schema") ? try spec.schema("schema") : .object([])
            return OutputConstraint(.pattern(.jsonSchema(schema)), field: "response_format.json_schema.schema")
        default:
            throw APIError.invalid("response_format.type", "must be \"text\", \"json_object\" or \"json_schema\"")
        }
    }

    /// Fields whose meaning LightServe cannot honour: refused by name.
    static func refuseUnsupported(_ body: JSON, endpoint: Endpoint) throws(APIError) {
        for field in ["functions", "function_call", "audio", "prediction", "web_search_options", "suffix"] {
            if let value = body[field], value != .null {
                throw APIError.invalid(field, "is not supported by LightServe")
            }
        }
        if let bias = body["logit_bias"], bias != .null, bias != .object([]) {
            throw APIError.invalid("logit_bias", "is not supported by LightServe")
        }
        if let modalities = body["modalities"], modalities != .null, modalities != .array([.string("text")]) {
            throw APIError.invalid("modalities", "only [\"text\"] is supported")
        }
    }

    /// Messages for the template: every field kept; text parts of a content list joined.
    static func parseMessages(_ value: JSON?) throws(APIError) -> [JSON] {
        guard case .array(let items)? = value, !items.isEmpty else {
            throw APIError.invalid("messages", "is required and must be a non-empty list")
        }
        var messages: [JSON] = []
        for (index, item) in items.enumerated() {
            let path = "messages[\(index)]"
            guard case .object(let fields) = item else { throw APIError.invalid(path, "must be an object") }
            guard case .string? = item["role"] else { throw APIError.invalid(path + ".role", "is required and must be a string") }
            var converted: [(String, JSON)] = []
            for (key, field) in fields {
                switch key {
                case "content": converted.append((key, .string(try contentText(field, path: path + ".content"))))
                case "tool_calls": converted.append((key, try toolCalls(field, path: path + ".tool_calls")))
                default: converted.append((key, field))
                }
            }
            if item["content"] == nil { converted.append(("content", .string(""))) }
            messages.append(.object(converted))
        }
        return messages
    }

    /// An assistant message's `tool_calls` as the template reads them: each call's `arguments`,
    /// which OpenAI clients send as JSON text, parsed into the object the template renders.
    private static func toolCalls(_ value: JSON, path: String) throws(APIError) -> JSON {
        guard case .array(let calls) = value else { throw APIError.invalid(path, "must be a list of tool calls") }
        return .array(try calls.enumerated().map { (index, call) throws(APIError) -> JSON in
            guard case .object(var members) = call else { throw APIError.invalid("\(path)[\(index)]", "must be an object") }
            guard let f = members.firstIndex(where: { $0.0 == "function" }), case .object(var function) = members[f].1 else {
                throw APIError.invalid("\(path)[\(index)].function", "is required and must be an object")
            }
            if let a = function.firstIndex(where: { $0.0 == "arguments" }), case .string(let text) = function[a].1 {
                do {
                    function[a].1 = try JSON.parse(text)
                } catch {
                    throw APIError.invalid("\(path)[\(index)].function.arguments", "is not valid JSON: \(error)")
                }
            }
            members[f].1 = .object(function)
            return .object(members)
        })
    }

    /// `tools`: function tools, `{"type": "function", "function": {"name", "description"?,
    /// "parameters"?}}`, kept whole for the chat template; nil when absent.
    static func parseTools(_ value: JSON?) throws(APIError) -> [JSON]? {
        guard let value, value != .null else { return nil }
        guard case .array(let tools) = value else { throw APIError.invalid("tools", "must be a list of tools") }
        for (index, tool) in tools.enumerated() {
            let path = "tools[\(index)]"
            guard tool["type"] == .string("function") else { throw APIError.invalid(path + ".type", "must be \"function\"") }
            guard case .object? = tool["function"] else { throw APIError.invalid(path + ".function", "is required and must be an object") }
            guard let name = tool["function"]?["name"]?.string, Self.isFunctionName(name) else {
                throw APIError.invalid(path + ".function.name", "is required: 1 to 64 letters, digits, '_' or '-'")
            }
            if let parameters = tool["function"]?["parameters"], parameters != .null, !parameters.isObject {
                throw APIError.invalid(path + ".function.parameters", "must be a JSON Schema object")
            }
        }
        return tools
    }

    /// OpenAI's rule for function names: 1 to 64 ASCII letters, digits, `_` or `-`.
    static func isFunctionName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { b in
            (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
                || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
    }

    private static func contentText(_ content: JSON, path: String) throws(APIError) -> String {
        switch content {
        case .string(let s): return s
        case .null: return ""
        case .array(let parts):
            var text = ""
            for (i, part) in parts.enumerated() {
                guard part["type"] == .string("text"), case .string(let s)? = part["text"] else {
                    throw APIError.invalid("\(path)[\(i)]", "only text parts are supported (this model is text-only)")
                }
                text += s
            }
            return text
        default:
            throw APIError.invalid(path, "must be a string or a list of text parts")
        }
    }
}
