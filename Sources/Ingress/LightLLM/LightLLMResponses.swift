import LightServeCore

/// LightLLM's response bodies, field for field.
enum LightLLMResponses {
    /// One `/generate_stream` event (without the `data:` framing).
    static func streamEvent(_ token: GeneratedToken, promptTokens: Int) -> JSON {
        .object([
            ("token", tokenObject(token, promptTokens: promptTokens, cumulative: nil)),
            ("generated_text", .null),
            ("finished", .bool(token.finishReason != nil)),
            ("finish_reason", token.finishReason.map { .string($0.rawValue) } ?? .null),
            ("details", .null),
        ])
    }

    /// The `/generate` body (one prompt). Scalars when one sequence is returned, lists otherwise.
    static func generate(_ result: GenerationResult, details: Bool) -> JSON {
        let sequences = result.choices
        let promptTokens = result.promptTokens[0]
        let single = sequences.count == 1
        func field(_ values: [JSON]) -> JSON { single ? values[0] : .array(values) }
        var members: [(String, JSON)] = [
            ("generated_text", .array(sequences.map { .string($0.text) })),
            ("count_output_tokens", field(sequences.map { .int(Int64($0.tokens.count)) })),
            ("finish_reason", field(sequences.map { .string($0.finishReason.rawValue) })),
            ("prompt_tokens", .int(Int64(promptTokens))),
        ]
        if let scored = result.scoredPrompts.first, !scored.isEmpty {
            // LightLLM's shape: `[[token, {"next token": logprob}], ...]` for every token but the last.
            members.append(("prompt_token_ids", .array(scored.map { .int(Int64($0.token.id)) })))
            members.append(("prompt_logprobs", .array(zip(scored, scored.dropFirst()).map { current, next in
                .array([.int(Int64(current.token.id)), .object([(String(next.token.id), .double(Double(next.logprob ?? 0)))])])
            })))
        }
        if details {
            let lists = sequences.map { sequence -> JSON in
                var sum = 0.0
                return .array(sequence.tokens.enumerated().map { i, token in
                    sum += Double(token.logprob)
                    return tokenObject(token, promptTokens: promptTokens, cumulative: sum / Double(i + 1))
                })
            }
            members.append(("tokens", field(lists)))
        }
        return .object(members)
    }

    /// A token's details; `cumulative` is LightLLM's `cumlogprob`, the running mean of logprobs.
    static func tokenObject(_ token: GeneratedToken, promptTokens: Int, cumulative: Double?) -> JSON {
        var members: [(String, JSON)] = [
            ("id", .int(Int64(token.id))),
            ("text", .string(token.text)),
            ("logprob", .double(Double(token.logprob))),
        ]
        if let cumulative { members.append(("cumlogprob", .double(cumulative))) }
        members += [
            ("special", .bool(token.special)),
            ("count_output_tokens", .int(Int64(token.index))),
            ("prompt_tokens", .int(Int64(promptTokens))),
        ]
        return .object(members)
    }
}
