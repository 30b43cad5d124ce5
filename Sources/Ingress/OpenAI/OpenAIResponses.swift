import LightServeCore

/// OpenAI's response and chunk bodies for completions and chat completions.
struct OpenAIResponses {
    let id: String
    let created: Int
    let model: String
    let endpoint: OpenAIRequest.Endpoint

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
            let lp = logprobs ? logprobsObject(c.tokens, offset: prefix.count) : .null
            switch endpoint {
            case .chat:
                return .object([
                    ("index", .int(Int64(c.index))),
                    ("message", .object([("role", "assistant"), ("content", .string(prefix + c.reading.content))])),
                    ("logprobs", lp), ("finish_reason", finish),
                ])
            case .completions:
                return .object([
                    ("index", .int(Int64(c.index))), ("text", .string(prefix + c.reading.content)), ("logprobs", lp),
                    ("finish_reason", finish),
                ])
            }
        }, usage: usage)
    }

    /// A streamed chunk with text for one choice (and its token's logprobs when asked).
    func chunk(index: Int, text: String, tokens: [GeneratedToken], offset: Int, logprobs: Bool, finish: FinishReason?, role: Bool = false) -> JSON {
        let lp = logprobs && !tokens.isEmpty ? logprobsObject(tokens, offset: offset) : .null
        let reason = finish.map { JSON.string($0.rawValue) } ?? .null
        switch endpoint {
        case .chat:
            var delta: [(String, JSON)] = role ? [("role", "assistant")] : []
            if !text.isEmpty || role { delta.append(("content", .string(text))) }
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

    /// Completions: `{tokens, token_logprobs, top_logprobs, text_offset}`; chat: `{content: [...]}`.
    private func logprobsObject(_ tokens: [GeneratedToken], offset: Int) -> JSON {
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
            var offsets: [JSON] = []
            var position = offset
            for t in tokens {
                offsets.append(.int(Int64(position)))
                position += t.text.count
            }
            return .object([
                ("tokens", .array(tokens.map { .string($0.token.text) })),
                ("token_logprobs", .array(tokens.map { .double(Double($0.logprob)) })),
                ("top_logprobs", .array(tokens.map { t in .object(t.alternatives.map { ($0.text, .double(Double($0.logprob))) }) })),
                ("text_offset", .array(offsets)),
            ])
        }
    }
}
