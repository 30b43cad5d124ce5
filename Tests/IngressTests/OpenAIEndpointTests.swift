import Foundation
import Ingress
import LightServeCore
import LoadClient
import TestSupport
import Testing

extension EndpointTests {
    @Suite struct OpenAI {
        static let chat = #"{"model": "any", "messages": [{"role": "user", "content": "What is the capital of France?"}], "max_tokens": 12, "temperature": 0}"#

        @Test func testModelsListsTheServedModel() async throws {
            try await TestServer.with { server in
                let list = try JSON.parse(try await server.get("/v1/models").body)
                #expect(list["object"] == .string("list"))
                #expect(list["data"]?.array?.first?["id"] == .string("SmolLM2-135M-Instruct.Q4_1"))
                #expect(list["data"]?.array?.first?["object"] == .string("model"))
                #expect(list["data"]?.array?.first?["architecture"] == .string("llama"))
                #expect(list["data"]?.array?.first?["quantization"] == .string("Q4_1"))
                let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
                #expect(log.contains("model SmolLM2-135M-Instruct.Q4_1: llama, 30 layers, d=576, Q4_1"), "\(log)")
                #expect(try await server.get("/v1/models/SmolLM2-135M-Instruct.Q4_1").status == 200)
                let missing = try await server.get("/v1/models/gpt-4")
                #expect(missing.status == 404)
                #expect(try JSON.parse(missing.body)["error"]?["type"] == .string("not_found_error"))
            }
        }

        @Test func testChatCompletionHasOpenAIFields() async throws {
            try await TestServer.with { server in
                let (status, json) = try await server.postJSON("/v1/chat/completions", Self.chat)
                #expect(status == 200)
                #expect(json["id"]?.string?.hasPrefix("chatcmpl-") == true)
                #expect(json["object"] == .string("chat.completion"))
                #expect(json["created"]?.number != nil && json["model"] == .string("SmolLM2-135M-Instruct.Q4_1"))
                let choice = try #require(json["choices"]?.array?.first)
                #expect(choice["index"] == .int(0))
                #expect(choice["message"]?["role"] == .string("assistant"))
                #expect(choice["message"]?["content"]?.string?.contains("Paris") == true)
                #expect(choice["finish_reason"] == .string("stop") || choice["finish_reason"] == .string("length"))
                #expect(choice["logprobs"] == .null)
                let usage = try #require(json["usage"])
                #expect(usage["prompt_tokens"] == .int(37))
                #expect(usage["total_tokens"]?.number == (usage["prompt_tokens"]?.number ?? 0) + (usage["completion_tokens"]?.number ?? 0))
            }
        }

        @Test func testChatPromptIsTheTemplatesRendering() async throws {
            try await TestServer.with { server in
                let rendered = try JSON.parse(try await server.post(
                    "/apply_chat_template", #"{"messages": [{"role": "user", "content": "Hello! What's your name?"}]}"#).body)
                let golden = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHello! What's your name?<|im_end|>\n<|im_start|>assistant\n"
                #expect(rendered["prompt"] == .string(golden))
                // The chat endpoint sends exactly that prompt: same greedy text as /generate on it.
                let viaChat = try await server.postJSON(
                    "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hello! What's your name?"}], "max_tokens": 8, "temperature": 0}"#)
                let direct = try await server.postJSON(
                    "/generate", #"{"inputs": \#(JSON.string(golden).serialized), "parameters": {"max_new_tokens": 8}}"#)
                #expect(viaChat.json["choices"]?.array?.first?["message"]?["content"] == direct.json["generated_text"]?.array?.first)
            }
        }

        @Test func testCompletionLogprobsListTopAlternatives() async throws {
            try await TestServer.with { server in
                let (_, json) = try await server.postJSON(
                    "/v1/completions", #"{"prompt": "What is AI?", "max_tokens": 3, "temperature": 0, "logprobs": 2}"#)
                let choice = try #require(json["choices"]?.array?.first)
                #expect(choice["text"] == .string(" AI refers to"))
                let logprobs = try #require(choice["logprobs"])
                #expect(logprobs["tokens"] == .array([" AI", " refers", " to"]))
                #expect(logprobs["token_logprobs"]?.array?.count == 3)
                #expect(logprobs["text_offset"] == .array([0, 3, 10]))
                let top = try #require(logprobs["top_logprobs"]?.array)
                #expect(top.count == 3)
                // (Parsed objects lose key order; the values say which entry is best.)
                #expect(top[0][" AI"] == logprobs["token_logprobs"]?.array?.first, "the chosen token is the top alternative")
                if case .object(let first) = top[0] {
                    #expect(first.count == 2)
                    #expect(first.allSatisfy { ($0.1.number ?? 0) <= (top[0][" AI"]?.number ?? 0) })
                }
            }
        }

        @Test func testStreamedChatEndsWithUsageThenDone() async throws {
            try await TestServer.with { server in
                let body = #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "temperature": 0, "stream": true, "stream_options": {"include_usage": true}}"#
                let r = try await server.post("/v1/chat/completions", body)
                #expect(r.status == 200 && r.header("content-type") == "text/event-stream")
                var parser = ServerSentEventParser()
                let events = parser.feed(r.body)
                #expect(events.last == "[DONE]")
                let chunks = try events.dropLast().map { try JSON.parse(Array($0.utf8)) }
                #expect(chunks.first?["choices"]?.array?.first?["delta"]?["role"] == .string("assistant"))
                #expect(chunks.allSatisfy { $0["object"] == .string("chat.completion.chunk") })
                let usage = try #require(chunks.last?["usage"])
                #expect(chunks.last?["choices"] == .array([]))
                #expect(usage["completion_tokens"] == .int(5))
                let finishes = chunks.compactMap { $0["choices"]?.array?.first?["finish_reason"] }.filter { $0 != .null }
                #expect(finishes == [.string("length")])
                let text = chunks.compactMap { $0["choices"]?.array?.first?["delta"]?["content"]?.string }.joined()
                let whole = try await server.postJSON(
                    "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "temperature": 0}"#)
                #expect(.string(text) == whole.json["choices"]?.array?.first?["message"]?["content"])
            }
        }

        @Test func testStopTextIsCutForOpenAIButKeptForLightLLM() async throws {
            try await TestServer.with { server in
                let openAI = try await server.postJSON(
                    "/v1/completions", #"{"prompt": "What is AI?", "max_tokens": 20, "temperature": 0, "stop": ["hines th"]}"#)
                #expect(openAI.json["choices"]?.array?.first?["text"] == .string(" AI refers to mac"))
                #expect(openAI.json["choices"]?.array?.first?["finish_reason"] == .string("stop"))
                let lightLLM = try await server.postJSON(
                    "/generate", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 20, "stop_sequences": ["hines th"]}}"#)
                #expect(lightLLM.json["generated_text"]?.array?.first == .string(" AI refers to machines th"))
            }
        }

        @Test func testErrorsUseOpenAIsShape() async throws {
            try await TestServer.with(["--max-req-total-len", "64"]) { server in
                let tools = try await server.post(
                    "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}"#)
                #expect(tools.status == 400)
                let error = try #require(try JSON.parse(tools.body)["error"])
                #expect(error["type"] == .string("invalid_request_error"))
                #expect(error["param"] == .string("tools[0].function"))
                #expect(error["message"]?.string?.contains("tools") == true)
                #expect(error["code"] == .null)
                let long = try await server.post("/v1/completions", #"{"prompt": "What is AI?", "max_tokens": 100}"#)
                let longError = try JSON.parse(long.body)["error"]
                #expect(long.status == 400 && longError?["message"]?.string?.contains("--max-req-total-len") == true)
                let missing = try await server.post("/v1/embeddings", "{}")
                let missingError = try JSON.parse(missing.body)["error"]
                #expect(missing.status == 404 && missingError != nil)
                let bad = try await server.post("/v1/completions", "{oops")
                let badError = try JSON.parse(bad.body)["error"]
                #expect(bad.status == 400 && badError?["message"]?.string?.contains("not valid JSON") == true)
            }
        }

        @Test func testTemplateThatRaisesAnswers400WithItsMessage() async throws {
            let fixture = try JSON.parse(Array(Data(contentsOf: TestPaths.fixture("chat_templates.json"))))
            let mistral = try #require(fixture["templates"]?["mistral.jinja"]?.string)
            let path = TestPaths.temporaryFile(".jinja")
            try mistral.write(toFile: path, atomically: true, encoding: .utf8)
            try await TestServer.with(["--chat-template", path]) { server in
                let body = #"{"messages": [{"role": "assistant", "content": "I start"}]}"#
                let applied = try await server.post("/apply_chat_template", body)
                #expect(applied.status == 400)
                #expect(try JSON.parse(applied.body)["message"] == .string("Conversation roles must alternate user/assistant/user/assistant/..."))
                let chat = try await server.post("/v1/chat/completions", body)
                #expect(chat.status == 400)
                #expect(try JSON.parse(chat.body)["error"]?["message"] == .string("Conversation roles must alternate user/assistant/user/assistant/..."))
                let ok = try JSON.parse(try await server.post(
                    "/apply_chat_template", #"{"messages": [{"role": "user", "content": "Hi"}], "bos_token": "<B>"}"#).body)
                #expect(ok["prompt"] == .string("<B>[INST] Hi [/INST]"))
            }
        }

        @Test func testTokenizeAndDetokenizeRoundTrip() async throws {
            try await TestServer.with { server in
                let ids = try JSON.parse(try await server.post("/tokenize", #"{"text": "<|im_start|>What is AI?"}"#).body)
                #expect(ids["ids"] == .array([1, 1780, 314, 5646, 47]))
                let text = try JSON.parse(try await server.post("/detokenize", #"{"ids": [1, 1780, 314, 5646, 47]}"#).body)
                #expect(text["text"] == .string("<|im_start|>What is AI?"))
                let bad = try await server.post("/detokenize", #"{"ids": [999999]}"#)
                #expect(bad.status == 400)
            }
        }

        @Test func testOfficialPythonClientTalksToTheServer() async throws {
            try await TestServer.with { server in
                let (status, output) = try await server.runPythonCheck("openai_client_check.py", path: "/v1")
                #expect(status == 0, "\(output)")
                #expect(output.contains("all checks passed"), "\(output)")
            }
        }
    }
}
