import Jinja
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
    /// One prompt per entry (completions accept several).
    public var prompts: [PromptInput]
    /// Chat messages, for chat requests, as the template will see them.
    public var messages: [TemplateValue]
    public var options: GenerationOptions
    public var stream: Bool
    public var includeUsage: Bool
    /// Log-probabilities wanted (completions: `logprobs` ≥ 0; chat: `logprobs: true`).
    public var logprobs: Bool
    /// Completions' `echo`: the prompt is prepended to each choice.
    public var echo: Bool

    static let sharedFields = Set<String>([
        "model", "max_tokens", "temperature", "top_p", "n", "stream", "stop", "presence_penalty", "frequency_penalty",
        "seed", "logprobs", "user", "stream_options", "top_k", "repetition_penalty", "ignore_eos", "min_tokens",
        "logit_bias", "store", "metadata", "service_tier",
    ]).union(routerFields)
    /// Fields sglang-router 0.3.2 adds to every body it proxies (SGLang's own extensions):
    /// honoured where LightServe can (`no_stop_trim`, `skip_special_tokens`,
    /// `max_completion_tokens`), accepted when they ask for nothing (`separate_reasoning`,
    /// `stream_reasoning`: there is no reasoning parser; `return_hidden_states` and
    /// `continue_final_message` only when false).
    static let routerFields: Set<String> = [
        "no_stop_trim", "skip_special_tokens", "return_hidden_states", "separate_reasoning", "stream_reasoning",
        "continue_final_message", "max_completion_tokens",
    ]
    static let completionFields = sharedFields.union(["prompt", "echo", "best_of", "suffix"])
    static let chatFields = sharedFields.union([
        "messages", "max_completion_tokens", "top_logprobs", "tools", "tool_choice", "functions", "function_call",
        "parallel_tool_calls", "response_format", "audio", "modalities", "prediction", "reasoning_effort",
        "web_search_options",
    ])

    /// Parses a body for `endpoint`; `defaultMaxTokens` applies to completions (chat runs to the
    /// context by default, capped at `chatMaxTokens`). Every number is range-checked before
    /// anything computes with it; `maxTokensLimit` is the most tokens any request may generate.
    public static func parse(
        _ body: JSON, endpoint: Endpoint, defaultMaxTokens: Int, chatMaxTokens: Int, maxTokensLimit: Int
    ) throws(APIError) -> OpenAIRequest {
        let r = try ParameterReader(body)
        guard case .object(let members) = body else { throw APIError.invalid("body", "must be a JSON object") }
        let allowed = endpoint == .chat ? chatFields : completionFields
        if let unknown = members.map(\.0).first(where: { !allowed.contains($0) }) {
            throw APIError.invalid(unknown, "is not a recognised parameter")
        }
        try refuseUnsupported(body, endpoint: endpoint)
        if let model = body["model"], !(model.isString || model == .null) {
            throw APIError.invalid("model", "must be a string")
        }

        var sampling = SamplingParameters()
        let temperature = try r.float("temperature", default: 1, in: 0...2)
        sampling.doSample = temperature > 0
        sampling.temperature = max(temperature, 1e-6)
        sampling.topP = try r.float("top_p", default: 1, in: 0...1, excludingLowerBound: true)
        sampling.topK = try r.integer("top_k", default: -1, { $0 == -1 || $0 >= 1 }, "-1 or at least 1")
        sampling.presencePenalty = try r.float("presence_penalty", default: 0, in: -2...2)
        sampling.frequencyPenalty = try r.float("frequency_penalty", default: 0, in: -2...2)
        sampling.repetitionPenalty = try r.float("repetition_penalty", default: 1, in: 1...SamplingParameters.maxPenalty)
        sampling.ignoreEOS = try r.bool("ignore_eos", default: false)
        sampling.seed = try r.optionalSeed("seed")

        var options = GenerationOptions(sampling: sampling, includeStopSequence: false, addSpecialTokens: endpoint == .completions)
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
        _ = try r.bool("separate_reasoning", default: false)
        _ = try r.bool("stream_reasoning", default: false)
        for field in ["return_hidden_states", "continue_final_message"] {
            if try r.bool(field, default: false) { throw APIError.invalid(field, "is not supported by LightServe") }
        }
        // EOS counts as an output token: min_tokens 0 and 1 both let the first token end it.
        options.sampling.minNewTokens = try r.integer(
            "min_tokens", default: 0, in: 0...options.maxNewTokens, "between 0 and the token limit (\(options.maxNewTokens))")

        let stream = try r.bool("stream", default: false)
        let streamOptions = try ParameterReader(body["stream_options"], path: "stream_options.")
        let includeUsage = try streamOptions.bool("include_usage", default: false)
        if includeUsage && !stream { throw APIError.invalid("stream_options", "is only allowed with stream: true") }
        if stream && options.bestOf != options.returnCount {
            throw APIError.invalid("best_of", "cannot be streamed unless it equals n")
        }

        var request = OpenAIRequest(
            endpoint: endpoint, prompts: [], messages: [], options: options, stream: stream, includeUsage: includeUsage,
            logprobs: logprobs, echo: false)
        switch endpoint {
        case .completions:
            request.prompts = try parsePrompts(body["prompt"])
            request.echo = try r.bool("echo", default: false)
            if request.echo && logprobs {
                throw APIError.invalid("echo", "with logprobs is not supported: prompt tokens get no log-probabilities here")
            }
        case .chat:
            request.messages = try parseMessages(body["messages"])
        }
        return request
    }

    /// Fields whose meaning LightServe cannot honour: refused by name.
    static func refuseUnsupported(_ body: JSON, endpoint: Endpoint) throws(APIError) {
        for field in ["tools", "tool_choice", "functions", "function_call", "parallel_tool_calls", "audio", "prediction",
                      "web_search_options", "suffix"] {
            if let value = body[field], value != .null {
                throw APIError.invalid(field, "is not supported by LightServe")
            }
        }
        if let bias = body["logit_bias"], bias != .null, bias != .object([]) {
            throw APIError.invalid("logit_bias", "is not supported by LightServe")
        }
        if let format = body["response_format"], format != .null, format["type"] != .string("text") {
            throw APIError.invalid("response_format", "only {\"type\": \"text\"} is supported")
        }
        if let modalities = body["modalities"], modalities != .null, modalities != .array([.string("text")]) {
            throw APIError.invalid("modalities", "only [\"text\"] is supported")
        }
    }

    static func parsePrompts(_ value: JSON?) throws(APIError) -> [PromptInput] {
        func ids(_ items: [JSON]) throws(APIError) -> PromptInput {
            var tokens: [Int32] = []
            for item in items {
                guard case .int(let i) = item, let id = Int32(exactly: i), id >= 0 else {
                    throw APIError.invalid("prompt", "token lists must hold non-negative integers")
                }
                tokens.append(id)
            }
            return .tokens(tokens)
        }
        switch value {
        case .string(let text)?:
            return [.text(text)]
        case .array(let items)? where !items.isEmpty:
            if items.allSatisfy(\.isString) { return items.map { .text($0.string ?? "") } }
            if items.allSatisfy({ if case .int = $0 { true } else { false } }) { return [try ids(items)] }
            var prompts: [PromptInput] = []
            for item in items {
                guard case .array(let list) = item else {
                    throw APIError.invalid("prompt", "must be a string, a list of strings, a token list or a list of token lists")
                }
                prompts.append(try ids(list))
            }
            return prompts
        case nil, .null?:
            throw APIError.invalid("prompt", "is required")
        default:
            throw APIError.invalid("prompt", "must be a string, a list of strings, a token list or a list of token lists")
        }
    }

    /// Messages for the template: every field kept; text parts of a content list joined.
    static func parseMessages(_ value: JSON?) throws(APIError) -> [TemplateValue] {
        guard case .array(let items)? = value, !items.isEmpty else {
            throw APIError.invalid("messages", "is required and must be a non-empty list")
        }
        var messages: [TemplateValue] = []
        for (index, item) in items.enumerated() {
            let path = "messages[\(index)]"
            guard case .object(let fields) = item else { throw APIError.invalid(path, "must be an object") }
            guard case .string? = item["role"] else { throw APIError.invalid(path + ".role", "is required and must be a string") }
            var converted: [(String, TemplateValue)] = []
            for (key, field) in fields {
                if key == "content" {
                    converted.append((key, .string(try contentText(field, path: path + ".content"))))
                } else {
                    converted.append((key, field.templateValue))
                }
            }
            if item["content"] == nil { converted.append(("content", .string(""))) }
            messages.append(.object(converted))
        }
        return messages
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

extension JSON {
    var isString: Bool {
        if case .string = self { return true }
        return false
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value as a chat template sees it.
    var templateValue: TemplateValue {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(Int(i))
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .array(let items): .list(items.map(\.templateValue))
        case .object(let members): .object(members.map { ($0.0, $0.1.templateValue) })
        }
    }
}
