import LightServeCore

/// OpenAI's response and chunk bodies for completions and chat completions.
struct OpenAIResponses {
    let id: String
    let created: Int
    let model: String
    let endpoint: OpenAIRequest.Endpoint
    /// Chat messages carry `reasoning_content` (null when the model did not reason).
    var reasoning = false

    private var object: String { endpoint == .chat ? "chat.completion" : "text_completion" }
    private var chunkObject: String { endpoint == .chat ? "chat.completion.chunk" : "text_completion" }

    private func envelope(_ object: String, _ choices: [JSON], usage: JSON? = nil) -> JSON {
        var members: [(String, JSON)] = [
            ("id", .string(id)), ("object", .string(object)), ("created", .int(Int64(created))),
            ("model", .string(model)), ("choices", .array(choices)),
        ]
        if let usage { members.append(("usage", usage)) }
        return .object(members)
    }

    static func usage(prompt: Int, completion: Int) -> JSON {
        .object([
            ("prompt_tokens", .int(Int64(prompt))), ("completion_tokens", .int(Int64(completion))),
            ("total_tokens", .int(Int64(prompt + completion))),
        ])
    }

    /// A complete response; each choice's text follows its prompt's echo (empty without `echo`).
    func response(_ result: GenerationResult, echoes: [String], logprobs: Bool) -> JSON {
        let usage = Self.usage(prompt: result.promptTokens.reduce(0, +), completion: result.completionTokens)
        return envelope(object, result.choices.map { c in
            let prefix = echoes[c.prompt]
            let finish = JSON.string(c.finishReason.rawValue)
            let lp = logprobs ? logprobsObject(c.tokens, offset: prefix.count, prompt: result.scoredPrompts[c.prompt]) : .null
            switch endpoint {
            case .chat:
                let parsed = c.reading.parsedToolCalls
                var message: [(String, JSON)] = [
                    ("role", "assistant"), ("content", parsed.calls.isEmpty || !parsed.content.isEmpty ? .string(parsed.content) : .null),
                ]
                if reasoning {
                    message.append(("reasoning_content", c.reading.reasoning.isEmpty ? .null : .string(c.reading.reasoning)))
                }
                if !parsed.calls.isEmpty {
                    message.append(("tool_calls", .array(parsed.calls.map { Self.toolCall($0, index: nil) })))
                }
                return .object([
                    ("index", .int(Int64(c.index))), ("message", .object(message)), ("logprobs", lp),
                    ("finish_reason", parsed.calls.isEmpty ? finish : Self.finishReason(c.finishReason, calledTools: true)),
                ])
            case .completions:
                return .object([
                    ("index", .int(Int64(c.index))), ("text", .string(prefix + c.reading.content)), ("logprobs", lp),
                    ("finish_reason", finish),
                ])
            }
        }, usage: usage)
    }

    /// OpenAI's finish reason: a chat whose answer called tools ends with `tool_calls`, unless it
    /// was cut short.
    static func finishReason(_ reason: FinishReason, calledTools: Bool) -> JSON {
        .string(calledTools && reason == .stop ? "tool_calls" : reason.rawValue)
    }

    /// One `tool_calls` entry; streamed entries carry their `index`.
    static func toolCall(_ call: ToolCall, index: Int?) -> JSON {
        .object((index.map { [("index", JSON.int(Int64($0)))] } ?? []) + [
            ("id", .string(call.id)), ("type", "function"),
            ("function", .object([("name", .string(call.name)), ("arguments", .string(call.arguments))])),
        ])
    }

    /// `delta.tool_calls` for streamed tool-call events: a call's id and name first, then pieces
    /// of its arguments.
    static func toolCallDeltas(_ events: [ToolCallEvent]) -> [JSON] {
        events.compactMap { event in
            switch event {
            case .callStart(let index, let id, let name):
                toolCall(ToolCall(id: id, name: name, arguments: ""), index: index)
            case .arguments(let index, let delta):
                .object([("index", .int(Int64(index))), ("function", .object([("arguments", .string(delta))]))])
            case .content, .callEnd:
                nil
            }
        }
    }

    /// A streamed chunk with text for one choice (and its token's logprobs when asked), and the
    /// tool-call events the text held.
    func chunk(
        index: Int, text: String, tokens: [GeneratedToken], offset: Int, logprobs: Bool, finish: JSON,
        toolCalls: [ToolCallEvent] = [], reasoning: String = "", role: Bool = false
    ) -> JSON {
        let lp = logprobs && !tokens.isEmpty ? logprobsObject(tokens, offset: offset) : .null
        let reason = finish
        switch endpoint {
        case .chat:
            var delta: [(String, JSON)] = role ? [("role", "assistant")] : []
            if !reasoning.isEmpty { delta.append(("reasoning_content", .string(reasoning))) }
            if !text.isEmpty || role { delta.append(("content", .string(text))) }
            let calls = Self.toolCallDeltas(toolCalls)
            if !calls.isEmpty { delta.append(("tool_calls", .array(calls))) }
            return envelope(chunkObject, [.object([
                ("index", .int(Int64(index))), ("delta", .object(delta)), ("logprobs", lp), ("finish_reason", reason),
            ])])
        case .completions:
            return envelope(chunkObject, [.object([
                ("index", .int(Int64(index))), ("text", .string(text)), ("logprobs", lp), ("finish_reason", reason),
            ])])
        }
    }

    /// The final chunk with usage and no choices (`stream_options.include_usage`).
    func usageChunk(_ usage: JSON) -> JSON {
        envelope(chunkObject, [], usage: usage)
    }

    /// Completions: `{tokens, token_logprobs, top_logprobs, text_offset}`, the echoed prompt's
    /// tokens first when they were scored (the first with `null`s: nothing predicts it); chat:
    /// `{content: [...]}`.
    private func logprobsObject(_ tokens: [GeneratedToken], offset: Int, prompt: [PromptToken] = []) -> JSON {
        switch endpoint {
        case .chat:
            return .object([("content", .array(tokens.map { t in
                .object([
                    ("token", .string(t.token.text)), ("logprob", .double(Double(t.logprob))),
                    ("bytes", .array(t.token.bytes.map { .int(Int64($0)) })),
                    ("top_logprobs", .array(t.alternatives.map { a in
                        .object([
                            ("token", .string(a.text)), ("logprob", .double(Double(a.logprob))),
                            ("bytes", .array(a.bytes.map { .int(Int64($0)) })),
                        ])
                    })),
                ])
            }))])
        case .completions:
            func top(_ alternatives: [TokenAlternative]) -> JSON {
                .object(alternatives.map { ($0.text, .double(Double($0.logprob))) })
            }
            var texts: [JSON] = [], logprobs: [JSON] = [], tops: [JSON] = [], offsets: [JSON] = []
            var position = 0
            for p in prompt {
                texts.append(.string(p.token.text))
                logprobs.append(p.logprob.map { .double(Double($0)) } ?? .null)
                tops.append(p.logprob == nil ? .null : top(p.alternatives))
                offsets.append(.int(Int64(position)))
                position += p.token.text.count
            }
            position = offset
            for t in tokens {
                texts.append(.string(t.token.text))
                logprobs.append(.double(Double(t.logprob)))
                tops.append(top(t.alternatives))
                offsets.append(.int(Int64(position)))
                position += t.text.count
            }
            return .object([
                ("tokens", .array(texts)), ("token_logprobs", .array(logprobs)), ("top_logprobs", .array(tops)),
                ("text_offset", .array(offsets)),
            ])
        }
    }
}
