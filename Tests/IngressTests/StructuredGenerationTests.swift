import Foundation
import LightServeCore
import LoadClient
import TestSupport
import Testing

extension EndpointTests {
    /// Constrained decoding end to end on real models: what the sampler picks under a mask, where
    /// a constrained answer may end, how bad constraints are refused, and (on Qwen2.5-Coder-0.5B,
    /// through the official openai client and LightLLM's parameters) that every constrained answer
    /// passes an independent validator.
    @Suite struct StructuredGeneration {
        /// The first generated token's id and its log-probability before any mask, for `parameters`.
        private static func firstToken(_ server: TestServer, _ parameters: String) async throws -> (id: JSON, logprob: Double) {
            let (status, json) = try await server.postJSON(
                "/generate", #"{"inputs": "The cat sat on the", "parameters": {"max_new_tokens": 1, "return_details": true\#(parameters)}}"#)
            #expect(status == 200, "\(json)")
            let token = try #require(json["tokens"]?.array?.first)
            return (try #require(token["id"]), try #require(token["logprob"]?.number))
        }

        @Test func testGreedyTakesTheBestAllowedToken() async throws {
            try await TestServer.with { server in
                let free = try await Self.firstToken(server, "")
                let words = try #require(try await server.postJSON("/tokenize", #"{"text": " dog piano"}"#).json["ids"]?.array)
                #expect(words.count == 2 && !words.contains(free.id))
                let candidates = words + [free.id]
                let chosen = try await Self.firstToken(server, #", "allowed_token_ids": \#(JSON.array(candidates).serialized)"#)
                #expect(chosen.id == free.id, "the unconstrained choice, when allowed, is still the choice")

                // Each word alone gives its own unmasked log-probability; allowed together, the
                // more likely one is taken.
                var scored: [(id: JSON, logprob: Double)] = []
                for word in words {
                    let alone = try await Self.firstToken(server, #", "allowed_token_ids": [\#(word.serialized)]"#)
                    #expect(alone.id == word)
                    scored.append(alone)
                }
                let best = try #require(scored.max { $0.logprob < $1.logprob })
                let pair = try await Self.firstToken(server, #", "allowed_token_ids": \#(JSON.array(words).serialized)"#)
                #expect(pair.id == best.id)
                #expect(abs(pair.logprob - best.logprob) < 1e-4, "reported log-probabilities are the model's, before the mask")
            }
        }

        @Test func testTheAnswerEndsOnlyWhereTheConstraintAccepts() async throws {
            try await TestServer.with { server in
                let (status, json) = try await server.postJSON(
                    "/generate", #"{"inputs": "My PIN is", "parameters": {"max_new_tokens": 20, "regular_constraint": "[0-9]{4}"}}"#)
                #expect(status == 200)
                let text = try #require(json["generated_text"]?.array?.first?.string)
                #expect(text.count == 4 && text.allSatisfy(\.isNumber), "\(text)")
                #expect(json["finish_reason"] == .string("stop"), "the end-of-sequence token comes right after the fourth digit")

                // ignore_eos cannot take the answer past a constraint that has ended.
                let (ignoring, ignored) = try await server.postJSON(
                    "/generate", #"{"inputs": "My PIN is", "parameters": {"max_new_tokens": 20, "regular_constraint": "[0-9]{4}", "ignore_eos": true}}"#)
                #expect(ignoring == 200 && ignored["generated_text"] == json["generated_text"], "\(ignored)")
                #expect(ignored["finish_reason"] == .string("stop"))
                #expect(try await server.get("/health").status == 200)
            }
        }

        @Test func testACutShortConstrainedAnswerKeepsItsPrefixAndEndsWithLength() async throws {
            try await TestServer.with { server in
                let schema = #"{"type": "object", "properties": {"story": {"type": "string"}}, "required": ["story"]}"#
                let (status, json) = try await server.postJSON(
                    "/generate", #"{"inputs": "Tell a story:", "parameters": {"max_new_tokens": 6, "guided_json": \#(schema)}}"#)
                #expect(status == 200)
                #expect(json["finish_reason"] == .string("length"))
                let text = try #require(json["generated_text"]?.array?.first?.string)
                #expect(text.hasPrefix("{"), "\(text)")
                #expect((try? JSON.parse(text)) == nil, "six tokens cannot close the object: \(text)")
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testBadConstraintsAreRefusedNamingTheField() async throws {
            let cases = [
                (#""regular_constraint": "(ab""#, "regular_constraint"),
                (#""guided_grammar": "root ::= missing""#, "guided_grammar"),
                (#""guided_json": {"type": "number", "multipleOf": 3}"#, "multipleOf"),
                (#""guided_json": "{not json""#, "guided_json"),
                (#""allowed_token_ids": [1, 99999999]"#, "allowed_token_ids"),
                (#""allowed_token_ids": []"#, "allowed_token_ids"),
                (#""guided_json": {}, "regular_constraint": "a""#, "guided_json"),
            ]
            try await TestServer.with { server in
                for (parameter, named) in cases {
                    let (status, json) = try await server.postJSON(
                        "/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 4, \#(parameter)}}"#)
                    #expect(status == 400, "\(parameter): \(json)")
                    let message = json["message"]?.string ?? ""
                    #expect(message.contains(named), "\(parameter): \(json)")
                }
                let openAICases = [
                    (#""response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "number", "multipleOf": 3}}}"#,
                     "response_format.json_schema.schema"),
                ]
                for (field, param) in openAICases {
                    let (status, json) = try await server.postJSON(
                        "/v1/chat/completions", #"{"model": "m", "messages": [{"role": "user", "content": "x"}], \#(field)}"#)
                    #expect(status == 400, "\(field): \(json)")
                    #expect(json["error"]?["param"] == .string(param), "\(json)")
                }
                #expect(try await server.waitForIdleKV() == 0)
                #expect(try await server.get("/health").status == 200)
            }
        }

        /// A template that opens the model's reasoning block in the prompt, as DeepSeek-R1
        /// distills' does (and drops past reasoning from the history, as they do with `</think>`).
        static let thinkingTemplate = """
            {%- for m in messages %}<|im_start|>{{ m.role }}
            {% if m.role == 'assistant' %}{{ m.content.split('</think>')[-1] }}{% else %}{{ m.content }}{% endif %}<|im_end|>
            {% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
            <think>
            {% endif %}
            """

        @Test func testAReasoningModelsThinkingComesApartAndIsNotConstrained() async throws {
            let path = TestPaths.temporaryFile(".jinja")
            try Self.thinkingTemplate.write(toFile: path, atomically: true, encoding: .utf8)
            try await TestServer.with(["--chat-template", path]) { server in
                // SmolLM2 never closes the block: everything it writes is reasoning.
                let body = #"{"messages": [{"role": "user", "content": "What is 2 + 2?"}], "max_tokens": 12, "temperature": 0"#
                let (status, chat) = try await server.postJSON("/v1/chat/completions", body + "}")
                #expect(status == 200, "\(chat)")
                let message = try #require(chat["choices"]?.array?.first?["message"])
                let reasoning = try #require(message["reasoning_content"]?.string)
                #expect(!reasoning.isEmpty && message["content"] == .string(""), "\(message)")

                // Streamed, the same text arrives as delta.reasoning_content.
                let (streamStatus, events) = try await server.stream("/v1/chat/completions", body + #", "stream": true}"#)
                #expect(streamStatus == 200)
                let deltas = events.compactMap { $0["choices"]?.array?.first?["delta"] }
                #expect(deltas.compactMap { $0["reasoning_content"]?.string }.joined() == reasoning)
                #expect(deltas.allSatisfy { ($0["content"]?.string ?? "").isEmpty })

                // SGLang's separate_reasoning false leaves the thinking in the answer.
                let (_, together) = try await server.postJSON("/v1/chat/completions", body + #", "separate_reasoning": false}"#)
                let plain = try #require(together["choices"]?.array?.first?["message"])
                #expect(plain["content"] == .string(reasoning) && plain["reasoning_content"] == nil, "\(plain)")

                // A response format constrains the answer after `</think>`, not the thinking: the
                // reasoning is the same free text as without it.
                let (_, constrained) = try await server.postJSON(
                    "/v1/chat/completions", body + #", "response_format": {"type": "json_object"}}"#)
                #expect(constrained["choices"]?.array?.first?["message"]?["reasoning_content"]?.string == reasoning, "\(constrained)")
            }
        }

        @Test func testConstrainedAnswersPassAnIndependentValidator() async throws {
            try await TestServer.with(model: TestModel.named("qwen2.5-coder-0.5b")) { server in
                let (status, output) = try await server.runPythonCheck("structured_output_check.py")
                #expect(status == 0, "\(output)")
                #expect(output.contains("all checks passed"), "\(output)")
                #expect(try await server.waitForIdleKV() == 0)
            }
        }
    }
}
