import Foundation
import Ingress
import LightServeCore
import LoadClient
import NIOHTTP1
import TestSupport
import Testing

extension EndpointTests {
    @Suite struct Observability {
        /// `name{labels}` → value for every sample line of Prometheus text; fails on a bad line.
        static func samples(_ text: String) throws -> [String: Double] {
            var samples: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                    throw TestFailure("not a Prometheus sample line: \(line)")
                }
                let key = String(line[..<space])
                guard key.range(of: #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})?$"#, options: .regularExpression) != nil else {
                    throw TestFailure("not a Prometheus metric name: \(key)")
                }
                samples[key] = value
            }
            return samples
        }

        struct TestFailure: Error, CustomStringConvertible {
            let description: String
            init(_ description: String) { self.description = description }
        }

        @Test func testMetricsParseAsPrometheusTextAndMoveWithTraffic() async throws {
            try await TestServer.with { server in
                let before = try Self.samples(try await server.get("/metrics").text)
                for _ in 0..<3 {
                    _ = try await server.post("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 4}}"#)
                }
                _ = try await server.post("/generate", #"{"inputs": 5}"#)
                let response = try await server.get("/metrics")
                #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
                #expect(response.text.contains("# TYPE lightserve_http_requests_total counter"))
                let after = try Self.samples(response.text)
                let ok = #"lightserve_http_requests_total{endpoint="/generate",status="200"}"#
                #expect((after[ok] ?? 0) - (before[ok] ?? 0) == 3)
                #expect(after[#"lightserve_http_requests_total{endpoint="/generate",status="400"}"#] == 1)
                #expect(after["lightserve_time_to_first_token_seconds_count"] == 3)
                #expect(after["lightserve_generated_tokens_sum"] == 12)
                #expect(after["lightserve_prompt_tokens_count"] == 3)
                #expect((after["lightserve_time_per_output_token_seconds_count"] ?? 0) == 3)
                #expect(after[#"lightserve_http_request_duration_seconds_count{endpoint="/generate"}"#] == 4)
                for stage in ["tokenize", "schedule", "execute", "detokenize"] {
                    #expect(after[#"lightserve_queue_capacity{stage="\#(stage)"}"#] != nil, "\(stage)")
                    #expect(after[#"lightserve_queue_depth{stage="\#(stage)"}"#] == 0, "\(stage)")
                }
                #expect(after["lightserve_kv_slots_capacity"] ?? 0 > 0)
                #expect(after["lightserve_kv_slots_used"] == 0)
                #expect(after["lightserve_running_sequences"] != nil && after["lightserve_prefix_cache_hit_ratio"] != nil)
            }
        }

        @Test func testRejectedRequestsAreCounted() async throws {
            try await TestServer.with(["--max-running-requests", "1", "--max-waiting-requests", "1"]) { server in
                let long = #"{"inputs": "Tell me a story.", "parameters": {"max_new_tokens": 200, "ignore_eos": true}}"#
                async let running = server.post("/generate", long)
                #expect(try await server.waitForKV { $0["running_sequences"] == .int(1) })
                async let waiting = server.post("/generate", long)
                #expect(try await server.waitForKV { $0["waiting_requests"] == .int(1) })
                #expect(try await server.post("/generate", long).status == 503)
                let metrics = try Self.samples(try await server.get("/metrics").text)
                #expect(metrics["lightserve_rejected_requests_total"] == 1)
                #expect(metrics[#"lightserve_http_requests_total{endpoint="/generate",status="503"}"#] == 1)
                _ = try await (running, waiting)
            }
        }

        @Test func testRequestIDIsEchoedOrMadeUp() async throws {
            try await TestServer.with { server in
                let given = try await HTTPClient.send(port: server.port, method: .GET, path: "/health", headers: [("X-Request-Id", "client-42")])
                #expect(given.header("x-request-id") == "client-42")
                let made = try await server.get("/health")
                #expect(made.header("x-request-id")?.count == 32)
            }
        }

        @Test func testDebugStagesReportsEveryStage() async throws {
            try await TestServer.with { server in
                _ = try await server.post("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 3, "ignore_eos": true}}"#)
                let json = try JSON.parse(try await server.get("/debug/stages").body)
                let stages = try #require(json["stages"]?.array)
                #expect(stages.compactMap { $0["stage"]?.string } == ["tokenize", "schedule", "execute", "detokenize"])
                for stage in stages {
                    for field in ["queue_depth", "queue_capacity", "items_per_second", "busy_fraction", "p50_ms", "p99_ms"] {
                        #expect(stage[field]?.number != nil, "\(field)")
                    }
                }
                let execute = try #require(stages.first { $0["stage"] == .string("execute") })
                #expect(execute["items"]?.number == 3, "one prefill and two decode steps")
                #expect((execute["p50_ms"]?.number ?? 0) > 0)
                let compute = try #require(json["compute"])
                #expect(["avx2", "avx512"].contains(compute["kernels"]?.string ?? ""))
                let core = compute["openblas_core"]?.string ?? ""
                #expect(!core.isEmpty)
                #expect(compute["processor"]?.string?.contains("avx2") == true)
            }
        }

        @Test func testTraceFileSpansNestAndCoverEachRequest() async throws {
            let path = TestPaths.temporaryFile(".json")
            let server = try await TestServer.start(["--trace-file", path])
            let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<5 {
                    group.addTask {
                        _ = try await HTTPClient.send(
                            port: server.port, path: "/generate",
                            body: #"{"inputs": "Request \#(i) asks", "parameters": {"max_new_tokens": \#(4 + 3 * i)}}"#,
                            headers: [("traceparent", traceparent)])
                    }
                }
                group.addTask { _ = try await server.stream("/generate_stream", #"{"inputs": "Streamed", "parameters": {"max_new_tokens": 6}}"#) }
                try await group.waitForAll()
            }
            // Stopping flushes the writer after the HTTP server has stopped, so every span is in.
            #expect(await server.stop() == 0)

            let events = try #require(try JSON.parse(Array(Data(contentsOf: URL(fileURLWithPath: path)))).array)
            let spans = events.filter { $0["ph"] == .string("X") || $0["ph"] == .string("i") }
            let byRequest = Dictionary(grouping: spans.filter { $0["pid"] == .int(2) }) { $0["tid"]?.number ?? -1 }
            #expect(byRequest.count == 6)
            for (tid, track) in byRequest {
                let outer = try #require(track.first { $0["name"] == .string("request") }, "request \(tid) has no outer span")
                let start = try #require(outer["ts"]?.number)
                let end = start + (outer["dur"]?.number ?? 0)
                let inner = track.filter { $0["name"] != .string("request") }
                let names = Set(inner.compactMap { $0["name"]?.string })
                #expect(names.isSuperset(of: ["received", "queued (tokenize)", "tokenize", "queued (admission)", "prefill", "first token"]), "\(tid): \(names)")
                var covered: [(Double, Double)] = []
                for span in inner {
                    let s = try #require(span["ts"]?.number)
                    let e = s + (span["dur"]?.number ?? 0)
                    #expect(s >= start - 1 && e <= end + 1, "request \(tid): \(span["name"]?.string ?? "") [\(s), \(e)] outside [\(start), \(end)]")
                    if e > s { covered.append((s, e)) }
                }
                // The phases tile the request: no gap longer than a few milliseconds of hand-off.
                covered.sort { $0.0 < $1.0 }
                var reach = start
                var largestGap = 0.0
                for (s, e) in covered {
                    largestGap = max(largestGap, s - reach)
                    reach = max(reach, e)
                }
                largestGap = max(largestGap, end - reach)
                #expect(largestGap < 50_000, "request \(tid) has a \(largestGap) µs gap in its spans")
            }
            // The five requests that sent a traceparent carry its trace id; the stream did not send one.
            let traced = byRequest.values.filter { track in
                track.contains { $0["name"] == .string("request") && $0["args"]?["trace_id"] == .string("4bf92f3577b34da6a3ce929d0e0e4736") }
            }
            #expect(traced.count == 5)
            let steps = spans.filter { $0["pid"] == .int(1) && ($0["name"]?.string?.hasPrefix("step") ?? false) && $0["tid"] == .int(4) }
            #expect(!steps.isEmpty && steps.allSatisfy { $0["args"]?["rows"] != nil })
        }

        @Test func testDebugTraceServesChromeJSONAndSVG() async throws {
            try await TestServer.with { server in
                _ = try await server.post("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 3}}"#)
                let chrome = try JSON.parse(try await server.get("/debug/trace?seconds=30").body)
                #expect((chrome["traceEvents"]?.array?.count ?? 0) > 5)
                let svg = try await server.get("/debug/trace?seconds=30&format=svg")
                #expect(svg.header("content-type") == "image/svg+xml")
                #expect(svg.text.hasPrefix("<svg") && svg.text.contains("execute") && svg.text.hasSuffix("</svg>\n"))
                #expect(try await server.get("/debug/trace?format=png").status == 400)
            }
        }
    }
}

extension EndpointTests {
    @Suite struct PrefixCache {
        static let system = "You are a meticulous assistant who answers questions about geography with short, factual sentences and no speculation."

        static func chat(_ question: String) -> String {
            #"{"messages": [{"role": "system", "content": "\#(system)"}, {"role": "user", "content": "\#(question)"}], "max_tokens": 8, "temperature": 0}"#
        }

        @Test func testRepeatedSystemPromptIsServedFromTheCacheWithTheSameAnswer() async throws {
            let questions = ["What is the capital of France?", "What is the capital of Spain?"]
            let uncached = try await TestServer.with(["--no-prefix-cache"]) { server in
                var answers: [JSON?] = []
                for q in questions { answers.append(try await server.postJSON("/v1/chat/completions", Self.chat(q)).json["choices"]) }
                let stages = try JSON.parse(try await server.get("/debug/stages").body)
                #expect(stages["kv"]?["prefix_cache_hit_ratio"]?.number == 0)
                return answers
            }
            try await TestServer.with { server in
                var answers: [JSON?] = []
                for q in questions { answers.append(try await server.postJSON("/v1/chat/completions", Self.chat(q)).json["choices"]) }
                #expect(answers[0] == uncached[0] && answers[1] == uncached[1])
                let stages = try JSON.parse(try await server.get("/debug/stages").body)
                let ratio = try #require(stages["kv"]?["prefix_cache_hit_ratio"]?.number)
                #expect(ratio > 0.3, "the second request reuses the shared system prompt")
                #expect(stages["kv"]?["held"] == .int(0), "cached prefixes are not held by anyone")
            }
        }
    }
}
