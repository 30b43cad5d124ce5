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
        let fields = OpenAIFields(endpoint, maxTokensLimit: maxTokensLimit)
        let f = fields.shared
        let declared = fields.fields
        let allowed = Set(declared.map(\.name))
        if let unknown = members.map(\.0).first(where: { !allowed.contains($0) }) {
            throw APIError.invalid(unknown, "is not a recognised parameter")
        }
        for field in declared {
            switch field.kind {
            case .unsupported: try r.check(field)
            default: continue
            }
        }
        try refuseUnsupported(body)
        for field in [f.model, f.user, f.store, f.metadata, f.serviceTier] + (fields.chat.map { [$0.reasoningEffort] } ?? []) {
            try r.check(field)
        }

        var options = GenerationOptions(
            sampling: try r.sampling(f.sampling), includeStopSequence: false, addSpecialTokens: endpoint == .completions)
        options.stopSequences = try r.strings(f.stop)
        let n = try r.integer(f.n)
        options.returnCount = n
        options.bestOf = n
        if let c = fields.completions {
            options.bestOf = try r.integer(c.bestOf, default: n, in: n...8, "between n (\(n)) and 8")
        }
        let limitField = r.has(f.maxCompletionTokens.name) ? f.maxCompletionTokens : f.maxTokens

        var logprobs = false
        if let c = fields.completions {
            if r.has(c.logprobs.name) {
                options.sampling.topLogprobs = try r.integer(c.logprobs)
                logprobs = true
            }
            options.maxNewTokens = try r.integer(limitField, default: min(defaultMaxTokens, max(1, maxTokensLimit)))
        }
        if let c = fields.chat {
            logprobs = try r.bool(c.logprobs)
            let top = try r.integer(c.topLogprobs)
            if top > 0 && !logprobs { throw APIError.invalid(c.topLogprobs.name, "needs logprobs: true") }
            options.sampling.topLogprobs = top
            if r.has(limitField.name) {
                options.maxNewTokens = try r.integer(limitField)
            } else {
                options.maxNewTokens = min(chatMaxTokens, max(1, maxTokensLimit))
                options.clampToContext = true
            }
        }
        options.includeStopSequence = try r.bool(f.noStopTrim)
        options.skipSpecialTokens = try r.bool(f.skipSpecialTokens)
        // SGLang's switches: reasoning apart from the answer (or left in it), streamed as it comes.
        let separateReasoning = try r.bool(f.separateReasoning)
        let streamReasoning = try r.bool(f.streamReasoning)
        for field in [f.returnHiddenStates, f.continueFinalMessage] {
            if try r.bool(field.name, default: false) { throw APIError.invalid(field.name, "is not supported by LightServe") }
        }
        // EOS counts as an output token: min_tokens 0 and 1 both let the first token end it.
        options.sampling.minNewTokens = try r.integer(
            f.minTokens, in: 0...options.maxNewTokens, "between 0 and the token limit (\(options.maxNewTokens))")
        options.constraint = try r.constraint()
        if let format = try responseFormat(body[f.responseFormat.name]) {
            if let given = options.constraint {
                throw APIError.invalid("response_format", "cannot be combined with \(given.field): give at most one constraint")
            }
            options.constraint = format
        }

        let stream = try r.bool(f.stream)
        let streamOptions = try ParameterReader(body[f.streamOptions.field.name], path: f.streamOptions.field.name + ".")
        let includeUsage = try streamOptions.bool(f.streamOptions.group.includeUsage)
        if includeUsage && !stream { throw APIError.invalid("stream_options", "is only allowed with stream: true") }
        if stream && options.bestOf != options.returnCount {
            throw APIError.invalid("best_of", "cannot be streamed unless it equals n")
        }

        let prompts: [PromptInput]
        var echo = false
        var output = OutputParsing.plain
        if let c = fields.completions {
            prompts = try PromptReader.batch(body[c.prompt.name], field: c.prompt.name)
            echo = try r.bool(c.echo)
            if echo && logprobs {
                if stream { throw APIError.invalid("echo", "with logprobs cannot be streamed; ask without stream") }
                options.promptLogprobs = options.sampling.topLogprobs
            }
        } else if let c = fields.chat {
            let tools = try parseTools(body[c.tools.name])
            let choice = try ToolChoice.parse(body[c.toolChoice.name], tools: tools)
            let parallel = try r.bool(c.parallelToolCalls)
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
                throw APIError.invalid(f.streamReasoning.name, "false is not supported: reasoning streams as it is generated")
            }
            let variables = try ParameterReader(body[c.chatTemplateKwargs.name], path: c.chatTemplateKwargs.name + ".").members
            prompts = [.chat(ChatPrompt(
                messages: try parseMessages(body[c.messages.name]), tools: choice == .none ? nil : tools, variables: variables))]
        } else {
            prompts = []
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

    /// Fields LightServe takes only in the form that asks for nothing: refused by name otherwise.
    /// (Fields it cannot honour at all are declared ``RequestField/Kind/unsupported``.)
    static func refuseUnsupported(_ body: JSON) throws(APIError) {
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
