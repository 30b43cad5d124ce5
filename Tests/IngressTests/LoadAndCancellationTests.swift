import Foundation
import Ingress
import LightServeCore
import LoadClient
import TestSupport
import Testing

extension EndpointTests {
    @Suite struct LoadAndCancellation {
        static func countingPrompt(_ start: Int) -> String {
            (start..<(start + 5)).map(String.init).joined(separator: ", ") + ","
        }

        @Test func testSixteenConcurrentStreamsEachGetTheirOwnTokens() async throws {
            try await TestServer.with(["--max-running-requests", "16"]) { server in
                let starts = (0..<16).map { 10 + 37 * $0 }
                // Counting continues with large margins, so batched and single runs agree.
                var alone: [String] = []
                for start in starts {
                    let (_, json) = try await server.postJSON(
                        "/generate", #"{"inputs": "\#(Self.countingPrompt(start))", "parameters": {"max_new_tokens": 12}}"#)
                    alone.append(json["generated_text"]?.array?.first?.string ?? "")
                }
                let streamed = try await withThrowingTaskGroup(of: (Int, Int, [JSON]).self) { group in
                    for (i, start) in starts.enumerated() {
                        group.addTask {
                            let (status, events) = try await server.stream(
                                "/generate_stream",
                                #"{"inputs": "\#(Self.countingPrompt(start))", "parameters": {"max_new_tokens": 12}}"#)
                            return (i, status, events)
                        }
                    }
                    var results = [[JSON]](repeating: [], count: starts.count)
                    for try await (i, status, events) in group {
                        #expect(status == 200)
                        results[i] = events
                    }
                    return results
                }
                for (i, events) in streamed.enumerated() {
                    let text = events.compactMap { $0["token"]?["text"]?.string }.joined()
                    #expect(events.count == 12)
                    #expect(text == alone[i], "stream \(i)")
                    #expect(text.hasPrefix(" \(starts[i] + 5),"), "stream \(i) continues its own count: \(text)")
                }
            }
        }

        @Test func testDisconnectMidStreamFreesItsKVSlots() async throws {
            try await TestServer.with { server in
                var events = 0
                var parser = ServerSentEventParser()
                try await HTTPClient.stream(
                    port: server.port, path: "/generate_stream",
                    body: #"{"inputs": "Tell me a long story.", "parameters": {"max_new_tokens": 500, "ignore_eos": true}}"#
                ) { _ in
                } onChunk: { chunk in
                    events += parser.feed(chunk).count
                    return events >= 3 ? .disconnect : .continue
                }
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testDisconnectDuringPrefillFreesItsKVSlots() async throws {
            try await TestServer.with(["--batch-max-tokens", "64"]) { server in
                let prompt = Array(repeating: "lorem ipsum dolor", count: 800).joined(separator: " ")
                let body = #"{"inputs": "\#(prompt)", "parameters": {"max_new_tokens": 50}}"#
                struct LeftDuringPrefill: Error {}
                var tokens = 0
                await #expect(throws: LeftDuringPrefill.self) {
                    try await HTTPClient.stream(port: server.port, path: "/generate_stream", body: body) { _ in
                        // The 200 goes out once the request is admitted: leave as soon as its prompt holds slots.
                        #expect(try await server.waitForKV { ($0["held"]?.number ?? 0) > 0 })
                        throw LeftDuringPrefill()
                    } onChunk: { _ in
                        tokens += 1
                        return .continue
                    }
                }
                #expect(try await server.waitForIdleKV() == 0)
                let trace = try JSON.parse(try await server.get("/debug/trace?seconds=60").body)
                let firstTokens = trace["traceEvents"]?.array?.filter { $0["name"] == .string("first token") } ?? []
                #expect(tokens == 0 && firstTokens.isEmpty, "the client should have left during the prompt's prefill")
            }
        }

        @Test func testOverloadAnswers503WithRetryAfterAtOnce() async throws {
            try await TestServer.with(["--max-running-requests", "1", "--max-waiting-requests", "1"]) { server in
                let long = #"{"inputs": "Tell me a story.", "parameters": {"max_new_tokens": 3000, "ignore_eos": true}}"#
                let running = Task { try await server.post("/generate", long) }
                #expect(try await server.waitForKV { $0["running_sequences"] == .int(1) })
                let waiting = Task { try await server.post("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 2}}"#) }
                #expect(try await server.waitForKV { $0["waiting_requests"] == .int(1) })
                let rejected = try await server.post("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 2}}"#)
                #expect(rejected.status == 503)
                #expect(rejected.header("retry-after") != nil)
                #expect(try JSON.parse(rejected.body)["message"]?.string?.isEmpty == false)
                // At once: the line had not moved when the answer came.
                let kv = try await server.stages()["kv"]
                #expect(kv?["running_sequences"] == .int(1) && kv?["waiting_requests"] == .int(1), "\(kv.map(\.serialized) ?? "")")
                running.cancel()
                _ = await running.result
                #expect(try await waiting.value.status == 200)
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testTokenLoadCountsHeldPeakAndQueuedDemand() async throws {
            try await TestServer.with(["--max-running-requests", "1", "--max-total-tokens", "4000"]) { server in
                var parser = ServerSentEventParser()
                var seen: [JSON] = []
                var queued: Task<Void, Never>?
                try await HTTPClient.stream(
                    port: server.port, path: "/generate_stream",
                    body: #"{"inputs": "Tell me a story.", "parameters": {"max_new_tokens": 600, "ignore_eos": true}}"#
                ) { _ in
                } onChunk: { chunk in
                    if !parser.feed(chunk).isEmpty && seen.isEmpty {
                        // Running: queue a second request behind it, then read the figures.
                        queued = Task { _ = try? await server.post("/generate", #"{"inputs": "Hello", "parameters": {"max_new_tokens": 100}}"#) }
                        #expect(try await server.waitForKV { $0["waiting_requests"] == .int(1) })
                        seen.append(try JSON.parse(try await server.get("/token_load").body))
                        return .disconnect
                    }
                    return .continue
                }
                let load = try #require(seen.first)
                let current = try #require(load["current_load"]?.number)
                let dynamic = try #require(load["dynamic_max_load"]?.number)
                let logical = try #require(load["logical_max_load"]?.number)
                #expect(current > 0)
                #expect(dynamic >= current)
                // The queued request's prompt and max_new_tokens count only in the logical figure.
                #expect(logical >= current + 100.0 / 4000 - 1e-9)
                // The queued request's client leaves too: nothing may stay held, however slow the machine.
                queued?.cancel()
                await queued?.value
                #expect(try await server.waitForIdleKV() == 0)
            }
        }
    }

    @Suite struct BadInput {
        static let server = ["--max-total-tokens", "128", "--max-req-total-len", "200", "--max-body-bytes", "2048"]

        @Test(arguments: [
            ("/generate", "{bad", 400, "not valid JSON"),
            ("/generate", #"{"inputs": 5}"#, 400, "inputs:"),
            ("/generate", #"{"inputs": "x", "parameters": {"top_p": 2}}"#, 400, "parameters.top_p"),
            ("/generate", #"{"inputs": "x", "parameters": {"max_new_tokens": "many"}}"#, 400, "parameters.max_new_tokens"),
            ("/generate", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 250}}"#, 400, "--max-req-total-len"),
            ("/generate", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 150}}"#, 400, "KV slots"),
            ("/generate", #"{"inputs": []}"#, 400, "empty"),
            ("/generate", #"{"inputs": [1, 99999]}"#, 400, "outside the vocabulary"),
            ("/generate", #"{"inputs": "x", "multimodal_params": {"images": ["abc"]}}"#, 400, "text-only"),
            ("/generate_stream", #"{"inputs": "x", "parameters": {"best_of": 2}}"#, 400, "streaming needs"),
            ("/generate_stream", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 250}}"#, 400, "--max-req-total-len"),
            ("/get_score", #"{"chat": "hi"}"#, 400, "no reward head"),
            ("/tokens", #"{"text": 3}"#, 400, "text:"),
            ("/nope", "{}", 404, "no route"),
        ])
        func testBadInputGetsItsStatusAndAMessage(path: String, body: String, status: Int, message: String) async throws {
            try await TestServer.with(Self.server) { server in
                let r = try await server.post(path, body)
                #expect(r.status == status)
                #expect(r.header("content-type") == "application/json")
                let text = try JSON.parse(r.body)["message"]?.string ?? ""
                #expect(text.contains(message), "\(text)")
                // The server survives and frees nothing it did not hold.
                #expect(try await server.get("/health").status == 200)
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testBodyOverLimitIs413() async throws {
            try await TestServer.with(Self.server) { server in
                let r = try await server.post("/generate", #"{"inputs": "\#(String(repeating: "a", count: 4000))"}"#)
                #expect(r.status == 413)
                #expect(try JSON.parse(r.body)["message"]?.string?.contains("--max-body-bytes") == true)
            }
        }

        @Test func testWrongMethodIs405WithAllow() async throws {
            try await TestServer.with { server in
                let r = try await server.get("/generate")
                #expect(r.status == 405)
                #expect(r.header("allow") == "POST")
                let health = try await server.post("/health", "{}")
                #expect(health.status == 405 && health.header("allow") == "GET, HEAD")
            }
        }
    }

    @Suite struct Score {
        @Test func testScoreOfRewardModelMatchesFloatReference() async throws {
            var synthetic = SyntheticModel(.llama)
            synthetic.rewardHead = true
            let path = TestPaths.temporaryFile()
            try synthetic.write(to: path)
            try await TestServer.with(model: path) { server in
                let chat = "<|im_start|>user\nHello<|im_end|>\n<|reward|>"
                let (status, json) = try await server.postJSON("/get_score", #"{"chat": "<|im_start|>user\nHello<|im_end|>\n<|reward|>", "parameters": {}}"#)
                #expect(status == 200)
                // Byte-level vocabulary: control tokens are 256...259, everything else its bytes.
                var ids: [Int32] = []
                var rest = Substring(chat)
                while !rest.isEmpty {
                    if let (index, name) = SyntheticModel.controlTokens.enumerated().first(where: { rest.hasPrefix($0.element) }) {
                        ids.append(256 + Int32(index))
                        rest = rest.dropFirst(name.count)
                    } else {
                        ids += rest.prefix(1).utf8.map { Int32($0) }
                        rest = rest.dropFirst()
                    }
                }
                let expected = Double(synthetic.reference().score(ids))
                let score = try #require(json["score"]?.number)
                #expect(abs(score - expected) < 1e-3, "\(score) vs \(expected)")
                #expect(json["prompt_tokens"] == .int(Int64(ids.count)))
                #expect(json["finish_reason"] == .string("stop"))
            }
        }
    }

    @Suite struct Shutdown {
        @Test func testSIGTERMDrainsHealth503NewRequests503RunningStreamFinishesThenExitZero() async throws {
            let server = try await TestServer.start()
            var parser = ServerSentEventParser()
            var events: [JSON] = []
            var health: [Int] = []
            var refused: HTTPClient.Response?
            try await HTTPClient.stream(
                port: server.port, path: "/generate_stream",
                body: #"{"inputs": "Tell me a story.", "parameters": {"max_new_tokens": 200, "ignore_eos": true}}"#
            ) { _ in
            } onChunk: { chunk in
                for event in parser.feed(chunk) { events.append(try JSON.parse(Array(event.utf8))) }
                if refused == nil && !events.isEmpty {
                    // The stream runs: signal, wait for the health check to turn, then knock.
                    server.terminate()
                    for _ in 0..<10_000 {
                        health.append(try await server.get("/health").status)
                        if health.last == 503 { break }
                    }
                    refused = try await server.post("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 2}}"#)
                }
                return .continue
            }
            #expect(health.last == 503, "\(health.suffix(3))")
            #expect(refused?.status == 503)
            #expect(refused?.header("retry-after") != nil)
            #expect(events.count == 200)
            #expect(events.last?["finished"] == .bool(true))
            #expect(await server.exitStatus() == 0)
        }
    }
}
