import Foundation
import Ingress
import LightServeCore
import LoadClient
import NIOHTTP1
import TestSupport
import Testing

/// Endpoint tests: a real `lightserve serve` with the real model, driven over real sockets.
/// Serialized, so the servers of different tests never compete for the machine's cores.
@Suite(.serialized) struct EndpointTests {}

extension EndpointTests {
    @Suite struct Health {
        @Test func testHealthProbesAnswerOk() async throws {
            try await TestServer.with { server in
                for path in ["/health", "/healthz"] {
                    let r = try await server.get(path)
                    #expect(r.status == 200 && r.text == #"{"message":"Ok"}"#, "\(path)")
                    #expect(r.header("content-type") == "application/json")
                }
                let head = try await HTTPClient.send(port: server.port, method: .HEAD, path: "/health")
                #expect(head.status == 200)
                #expect(try await server.get("/liveness").text == #"{"status":"ok"}"#)
                #expect(try await server.get("/readiness").text == #"{"status":"ok"}"#)
                #expect(
                    try await server.get("/get_model_name").text
                        == #"{"model_name":"SmolLM2-135M-Instruct.Q4_1","architecture":"llama","quantization":"Q4_1"}"#)
            }
        }

        @Test func testTokenLoadIsZeroWhenIdleAndFloats() async throws {
            try await TestServer.with { server in
                let r = try await server.get("/token_load")
                #expect(r.text == #"{"current_load":0.0,"logical_max_load":0.0,"dynamic_max_load":0.0}"#)
            }
        }
    }

    @Suite struct Generate {
        static let cliText = " AI refers to machines that can perform tasks"

        @Test func testGreedyResultEqualsTheCommandLine() async throws {
            try await TestServer.with { server in
                let (status, json) = try await server.postJSON(
                    "/generate", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 17, "return_details": true}}"#)
                #expect(status == 200)

                let cli = Process()
                cli.executableURL = URL(fileURLWithPath: TestServer.binary)
                cli.arguments = ["generate", "What is AI?", "--max-new-tokens", "17", "--json", "--model", try TestModel.path()]
                let out = Pipe()
                cli.standardOutput = out
                cli.standardError = FileHandle.nullDevice
                try cli.run()
                let data = out.fileHandleForReading.readDataToEndOfFile()
                cli.waitUntilExit()
                let expected = try JSON.parse(Array(data))
                #expect(json["generated_text"]?.array?.first == expected["text"])
                #expect(expected["text"]?.string?.hasPrefix(Self.cliText) == true)
                let ids = json["tokens"]?.array?.compactMap { $0["id"] }
                #expect(ids == expected["ids"]?.array)
            }
        }

        @Test func testGenerateResponseHasLightLLMFields() async throws {
            try await TestServer.with { server in
                let (status, json) = try await server.postJSON(
                    "/generate", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 5, "return_details": true}}"#)
                #expect(status == 200)
                #expect(json["generated_text"]?.array?.count == 1)
                #expect(json["count_output_tokens"] == .int(5))
                #expect(json["finish_reason"] == .string("length"))
                #expect(json["prompt_tokens"] == .int(4))
                let tokens = try #require(json["tokens"]?.array)
                #expect(tokens.count == 5)
                var sum = 0.0
                for (i, token) in tokens.enumerated() {
                    #expect(token["id"]?.number != nil && token["text"]?.string != nil && token["special"]?.bool == false)
                    let logprob = try #require(token["logprob"]?.number)
                    #expect(logprob <= 0)
                    sum += logprob
                    #expect(abs((token["cumlogprob"]?.number ?? 1) - sum / Double(i + 1)) < 1e-6)
                    #expect(token["count_output_tokens"] == .int(Int64(i + 1)))
                    #expect(token["prompt_tokens"] == .int(4))
                }
                #expect(tokens.compactMap { $0["text"]?.string }.joined() == json["generated_text"]?.array?.first?.string)
            }
        }

        @Test func testStreamSendsOneEventPerTokenThenFinishes() async throws {
            try await TestServer.with { server in
                let (status, events) = try await server.stream(
                    "/generate_stream", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 9}}"#)
                #expect(status == 200)
                #expect(events.count == 9)
                for (i, event) in events.enumerated() {
                    let last = i == events.count - 1
                    #expect(event["finished"] == .bool(last))
                    #expect(event["finish_reason"] == (last ? .string("length") : .null))
                    #expect(event["generated_text"] == .null && event["details"] == .null)
                    #expect(event["token"]?["count_output_tokens"] == .int(Int64(i + 1)))
                    #expect(event["token"]?["prompt_tokens"] == .int(4))
                }
                let text = events.compactMap { $0["token"]?["text"]?.string }.joined()
                #expect(text.hasPrefix(Self.cliText))
            }
        }

        @Test func testStreamFramingIsLightLLMs() async throws {
            try await TestServer.with { server in
                let r = try await server.post("/generate_stream", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 2}}"#)
                #expect(r.status == 200 && r.header("content-type") == "text/event-stream")
                #expect(r.text.hasPrefix("data:{\"token\":"))
                #expect(r.text.hasSuffix("}\n\n"))
                #expect(!r.text.contains("[DONE]"))
            }
        }

        @Test func testPostRootDispatchesOnStream() async throws {
            try await TestServer.with { server in
                let plain = try await server.post("/", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 3}, "stream": false}"#)
                #expect(plain.status == 200 && plain.text.hasPrefix("{\"generated_text\""))
                let streamed = try await server.post("/", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 3}, "stream": true}"#)
                #expect(streamed.status == 200 && streamed.text.hasPrefix("data:"))
            }
        }

        @Test func testTokenListInputMatchesTextInput() async throws {
            try await TestServer.with { server in
                let text = try await server.postJSON("/generate", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 6}}"#)
                let ids = try await server.postJSON("/generate", #"{"inputs": [1780, 314, 5646, 47], "parameters": {"max_new_tokens": 6}}"#)
                #expect(text.json["generated_text"] == ids.json["generated_text"])
            }
        }

        @Test func testStopSequenceSplitAcrossTokensStopsAndStaysInText() async throws {
            try await TestServer.with { server in
                // " machines" and " that" are separate tokens; the stop text spans both.
                let (status, json) = try await server.postJSON(
                    "/generate", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 30, "stop_sequences": ["hines th"]}}"#)
                #expect(status == 200)
                #expect(json["generated_text"]?.array?.first == .string(" AI refers to machines th"))
                #expect(json["finish_reason"] == .string("stop"))
                #expect(json["count_output_tokens"] == .int(5))
            }
        }

        @Test func testTokensEndpointCounts() async throws {
            try await TestServer.with { server in
                let plain = try await server.post("/tokens", #"{"text": "What is AI?"}"#)
                #expect(plain.text == #"{"ntokens":4}"#)
                let special = try await server.post("/tokens", #"{"text": "<|im_start|>user"}"#)
                #expect(special.text == #"{"ntokens":2}"#)
            }
        }

        @Test func testSameSeedGivesSameSample() async throws {
            try await TestServer.with { server in
                let body = #"{"inputs": "Once upon a time", "parameters": {"max_new_tokens": 12, "do_sample": true, "temperature": 1.3, "seed": 42}}"#
                let a = try await server.postJSON("/generate", body)
                let b = try await server.postJSON("/generate", body)
                #expect(a.status == 200 && a.json["generated_text"] == b.json["generated_text"])
                let other = try await server.postJSON("/generate", body.replacingOccurrences(of: "42", with: "7"))
                #expect(other.json["generated_text"] != a.json["generated_text"])
            }
        }

        @Test func testBestOfReturnsTheNBestSequences() async throws {
            try await TestServer.with { server in
                let (status, json) = try await server.postJSON(
                    "/generate",
                    #"{"inputs": "Once upon a time", "parameters": {"max_new_tokens": 6, "do_sample": true, "seed": 1, "best_of": 4, "n": 2, "return_details": true}}"#)
                #expect(status == 200)
                #expect(json["generated_text"]?.array?.count == 2)
                #expect(json["count_output_tokens"]?.array?.count == 2)
                #expect(json["finish_reason"]?.array?.count == 2)
                let sums = try #require(json["tokens"]?.array).map { list in
                    (list.array ?? []).reduce(0.0) { $0 + ($1["logprob"]?.number ?? 0) }
                }
                #expect(sums.count == 2 && sums[0] >= sums[1])
            }
        }

        @Test func testMinNewTokensAndIgnoreEOSKeepGenerating() async throws {
            try await TestServer.with { server in
                let (_, json) = try await server.postJSON(
                    "/generate", #"{"inputs": "<|im_start|>user\nSay hi<|im_end|>\n<|im_start|>assistant\n", "parameters": {"max_new_tokens": 40, "ignore_eos": true}}"#)
                #expect(json["count_output_tokens"] == .int(40))
                #expect(json["finish_reason"] == .string("length"))
            }
        }
    }
}
