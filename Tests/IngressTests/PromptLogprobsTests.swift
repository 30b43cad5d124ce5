import Foundation
import LightServeCore
import Testing

extension EndpointTests {
    /// Prompt log-probabilities (OpenAI's echo with logprobs, LightLLM's return_all_prompt_logprobs)
    /// and LightLLM's other sampling extensions, on the real model.
    @Suite struct PromptLogprobs {
        @Test func testAPromptTokensLogprobIsTheOneItHadWhenGenerated() async throws {
            try await TestServer.with { server in
                let ids = try #require(try await server.postJSON("/tokenize", #"{"text": "What is AI?"}"#).json["ids"]?.array)
                let prompt = JSON.array(ids).serialized
                let (_, generated) = try await server.postJSON(
                    "/generate", #"{"inputs": \#(prompt), "parameters": {"max_new_tokens": 1, "return_details": true}}"#)
                let token = try #require(generated["tokens"]?.array?.first)
                let next = try #require(token["id"]?.number.map { Int64($0) })
                let logprob = try #require(token["logprob"]?.number)

                let extended = JSON.array(ids + [.int(next)]).serialized
                let (_, scored) = try await server.postJSON(
                    "/generate", #"{"inputs": \#(extended), "parameters": {"max_new_tokens": 1, "return_all_prompt_logprobs": true}}"#)
                #expect(scored["prompt_token_ids"] == .array(ids + [.int(next)]))
                let pairs = try #require(scored["prompt_logprobs"]?.array)
                #expect(pairs.count == ids.count, "one entry per token but the last")
                let last = try #require(pairs.last?.array)
                #expect(last.first == ids.last)
                let scoredLogprob = try #require(last.last?[String(next)]?.number)
                #expect(abs(scoredLogprob - logprob) < 1e-3, "prefill scored \(scoredLogprob), decode gave \(logprob)")

                let (_, echoed) = try await server.postJSON(
                    "/v1/completions", #"{"prompt": \#(extended), "max_tokens": 1, "temperature": 0, "echo": true, "logprobs": 2}"#)
                let logprobs = try #require(echoed["choices"]?.array?.first?["logprobs"])
                let values = try #require(logprobs["token_logprobs"]?.array)
                #expect(values.count == ids.count + 2, "every prompt token, then the generated one")
                #expect(values.first == .null && logprobs["top_logprobs"]?.array?.first == .null)
                let echoedLogprob = try #require(values[ids.count].number)
                #expect(abs(echoedLogprob - scoredLogprob) < 1e-4)
                #expect(values.dropFirst().allSatisfy { ($0.number ?? 1) <= 0 })
                let top = try #require(logprobs["top_logprobs"]?.array?[1])
                if case .object(let alternatives) = top { #expect(alternatives.count == 2) } else { Issue.record("no alternatives") }
            }
        }

        @Test func testTheLengthPenaltyEndsGenerationSoonAfterItsStart() async throws {
            try await TestServer.with { server in
                let body = { (penalty: String) in
                    #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 24\#(penalty)}}"#
                }
                let (_, free) = try await server.postJSON("/generate", body(""))
                let freeCount = try #require(free["count_output_tokens"]?.number)
                let (_, penalised) = try await server.postJSON("/generate", body(#", "exponential_decay_length_penalty": [2, 100]"#))
                #expect(penalised["finish_reason"] == .string("stop"))
                let count = try #require(penalised["count_output_tokens"]?.number)
                #expect(count <= 4 && count < freeCount, "\(count) tokens with the penalty, \(freeCount) without")
            }
        }

        @Test func testInputPenaltyCountsThePromptsTokens() async throws {
            try await TestServer.with { server in
                // The greedy continuation repeats a prompt word; a strong presence penalty that counts
                // the prompt keeps every prompt token out of the first generated token.
                let body = { (extra: String) in
                    #"{"inputs": "The cat sat on the mat. The cat sat on the", "parameters": {"max_new_tokens": 1, "return_details": true\#(extra)}}"#
                }
                let ids = try #require(try await server.postJSON(
                    "/tokenize", #"{"text": "The cat sat on the mat. The cat sat on the"}"#).json["ids"]?.array)
                let (_, plain) = try await server.postJSON("/generate", body(""))
                let repeated = try #require(plain["tokens"]?.array?.first?["id"])
                #expect(ids.contains(repeated), "the unpenalised model repeats the prompt")
                let (_, penalised) = try await server.postJSON("/generate", body(#", "presence_penalty": 100, "input_penalty": true"#))
                let chosen = try #require(penalised["tokens"]?.array?.first?["id"])
                #expect(!ids.contains(chosen))
                let (_, outputOnly) = try await server.postJSON("/generate", body(#", "presence_penalty": 100"#))
                #expect(outputOnly["tokens"]?.array?.first?["id"] == repeated, "without input_penalty the prompt is not counted")
            }
        }
    }
}
