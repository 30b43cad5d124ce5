import Foundation
import Ingress
import LightServeCore
import LoadClient
import TestSupport
import Testing

extension EndpointTests {
    /// No request takes the server down, hangs a connection or wedges the scheduler.
    @Suite struct Hardening {
        /// Values a careless or hostile client sends to a number field.
        static let extremes = [
            "9223372036854775807", "-9223372036854775808", "-1", "0", "9007199254740992", "1e308", "1e400", "-1e308",
            #""NaN""#, #""Infinity""#, "true", "[" + Array(repeating: "1", count: 20_000).joined(separator: ",") + "]",
        ]

        /// Each route with a small valid body and the number fields it reads; a field is set
        /// by substituting `FIELD` and `VALUE`.
        static let routes: [(path: String, body: String, fields: [String])] = [
            ("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 1, "FIELD": VALUE}}"#,
             ["max_new_tokens", "min_new_tokens", "best_of", "n", "top_k", "top_p", "temperature", "seed", "presence_penalty",
              "frequency_penalty", "repetition_penalty"]),
            ("/generate_stream", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 1, "FIELD": VALUE}}"#,
             ["max_new_tokens", "min_new_tokens", "top_k", "seed", "temperature"]),
            ("/v1/completions", #"{"prompt": "Hi", "max_tokens": 1, "FIELD": VALUE}"#,
             ["max_tokens", "n", "best_of", "logprobs", "top_k", "top_p", "temperature", "seed", "presence_penalty",
              "frequency_penalty", "repetition_penalty", "min_tokens"]),
            ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, "logprobs": true, "FIELD": VALUE}"#,
             ["max_tokens", "max_completion_tokens", "n", "top_logprobs", "top_k", "temperature", "seed", "min_tokens"]),
        ]

        @Test func testEveryNumberFieldRejectsExtremeValuesByNameAndTheServerSurvives() async throws {
            try await TestServer.with(["--default-max-new-tokens", "1", "--max-waiting-requests", "4"]) { server in
                var failures: [String] = []
                for route in Self.routes {
                    for field in route.fields {
                        for value in Self.extremes {
                            let body = route.body.replacingOccurrences(of: "\"FIELD\": VALUE", with: "\"\(field)\": \(value)")
                            let r = try await server.post(route.path, body)
                            let message = (try? JSON.parse(r.body)).flatMap { $0["message"]?.string ?? $0["error"]?["message"]?.string }
                            let label = "\(route.path) \(field)=\(value.prefix(24))"
                            switch r.status {
                            case 200:
                                continue
                            case 400 where message?.contains(field) == true || message?.contains("not valid JSON") == true:
                                // 1e400 is no JSON number a parser can hold: the body itself is refused.
                                continue
                            default:
                                failures.append("\(label): \(r.status) \(message ?? r.text.prefix(120).description)")
                            }
                        }
                    }
                }
                for (path, body) in [
                    ("/detokenize", #"{"ids": [9223372036854775807, -1]}"#), ("/detokenize", #"{"ids": [-2147483648]}"#),
                    ("/generate", #"{"inputs": [9223372036854775807]}"#), ("/generate", #"{"inputs": [-1]}"#),
                    ("/v1/completions", #"{"prompt": [[9223372036854775807]]}"#),
                    ("/generate", #"{"inputs": "Hi", "parameters": {"stop_sequences": ["a","b","c","d","e","f","g","h","i","j","k"]}}"#),
                ] {
                    let r = try await server.post(path, body)
                    if r.status != 400 { failures.append("\(path) \(body.prefix(60)): \(r.status) \(r.text.prefix(120))") }
                }
                #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
                #expect(server.isRunning)
                #expect(try await server.get("/health").status == 200)
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testMaxNewTokensOfInt64MaxIsA400NamingTheRange() async throws {
            try await TestServer.with(["--max-req-total-len", "2048"]) { server in
                let lightllm = try await server.postJSON(
                    "/generate", #"{"inputs": "hi", "parameters": {"max_new_tokens": 9223372036854775807}}"#)
                #expect(lightllm.status == 400)
                #expect(lightllm.json["message"]?.string?.contains("parameters.max_new_tokens: must be between 1 and 2047") == true)
                let openai = try await server.postJSON("/v1/completions", #"{"prompt": "hi", "max_tokens": 9223372036854775807}"#)
                #expect(openai.status == 400)
                #expect(openai.json["error"]?["param"] == .string("max_tokens"))
                #expect(server.isRunning)
            }
        }

        @Test func testOneConnectionServesStreamsAndPlainRequestsInTurn() async throws {
            try await TestServer.with { server in
                let (status, output) = try await server.runPythonCheck("keepalive_check.py", ["one-connection"])
                #expect(status == 0, "\(output)")
                #expect(output.contains("all checks passed"), "\(output)")
            }
        }

        @Test func testThirtyTwoPooledStreamingClientsAllGetTheirAnswers() async throws {
            try await TestServer.with(["--max-running-requests", "32"]) { server in
                let (status, output) = try await server.runPythonCheck("keepalive_check.py", ["pooled"])
                #expect(status == 0, "\(output)")
                #expect(output.contains("all checks passed"), "\(output)")
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testClientLeavingWhileWaitingForAdmissionLeavesTheLineAndCountsAs499() async throws {
            try await TestServer.with(["--max-running-requests", "1"]) { server in
                // A occupies the only running place; B waits behind it, then its client hangs up.
                let running = Task {
                    try await server.post("/generate", #"{"inputs": "Tell me a story.", "parameters": {"max_new_tokens": 1500, "ignore_eos": true}}"#)
                }
                // B is sent only once A runs: sent together, B could take the place first.
                #expect(try await server.waitForKV { $0["running_sequences"] == .int(1) })
                let waiting = Task {
                    try await server.stream("/generate_stream", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 5}}"#)
                }
                #expect(try await server.waitForKV { $0["waiting_requests"] == .int(1) && $0["running_sequences"] == .int(1) })
                waiting.cancel()
                #expect(try await server.waitForKV { $0["waiting_requests"] == .int(0) })
                let kv = try JSON.parse(try await server.get("/debug/stages").body)["kv"]
                #expect(kv?["running_sequences"] == .int(1), "A still runs: B left the line, it did not finish")
                running.cancel()
                _ = await running.result
                _ = await waiting.result
                #expect(try await server.waitForIdleKV() == 0)
                let metrics = try await server.get("/metrics").text
                #expect(metrics.contains(#"endpoint="/generate_stream",status="499""#) || metrics.contains(#"status="499",endpoint="/generate_stream""#), "\(metrics.split(separator: "\n").filter { $0.contains("requests_total") })")
                #expect(!metrics.contains(#"status="500""#))
                let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
                #expect(!log.contains("unhandled error"), "\(log)")
            }
        }

        @Test func testTinyPoolPreemptsAndEveryRequestStillGetsAllItsTokens() async throws {
            // Admission expects 8 new tokens each, so all four start; 160 slots cannot hold four
            // runs of ~70, so the newest are preempted and recomputed.
            let arguments = ["--max-total-tokens", "160", "--router-max-new-token-len", "8", "--max-running-requests", "4", "--no-prefix-cache"]
            try await TestServer.with(arguments) { server in
                let prompts = ["One, two, three,", "Monday, Tuesday,", "A, B, C, D,", "The cat sat on the"]
                func body(_ prompt: String) -> String {
                    #"{"inputs": "\#(prompt)", "parameters": {"max_new_tokens": 60, "ignore_eos": true}}"#
                }
                var alone: [String] = []
                for prompt in prompts {
                    alone.append(try await server.postJSON("/generate", body(prompt)).json["generated_text"]?.array?.first?.string ?? "")
                }
                let together = try await withThrowingTaskGroup(of: (Int, Int, JSON).self) { group in
                    for (i, prompt) in prompts.enumerated() {
                        group.addTask {
                            let (status, json) = try await server.postJSON("/generate", body(prompt))
                            return (i, status, json)
                        }
                    }
                    var results = [JSON?](repeating: nil, count: prompts.count)
                    for try await (i, status, json) in group {
                        #expect(status == 200)
                        results[i] = json
                    }
                    return results
                }
                for (i, json) in together.enumerated() {
                    #expect(json?["count_output_tokens"] == .int(60), "request \(i)")
                    #expect(json?["finish_reason"] == .string("length"), "request \(i)")
                    #expect(json?["generated_text"]?.array?.first?.string == alone[i], "request \(i) recomputed differently")
                }
                let kv = try JSON.parse(try await server.get("/debug/stages").body)["kv"]
                #expect((kv?["preemptions"]?.number ?? 0) > 0, "the pool should have run short")
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testProcessorWithoutAVX2GetsAMessageNotAnIllegalInstruction() async throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestServer.binary)
            process.arguments = ["generate", "--model", try TestModel.path(), "Hello", "--max-new-tokens", "2"]
            process.environment = ProcessInfo.processInfo.environment.merging(["LIGHTSERVE_DISABLE_CPU_FEATURES": "avx2,f16c"]) { $1 }
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = Pipe()
            try process.run()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(message)")
            #expect(message.contains("this processor lacks avx2, f16c"), "\(message)")
        }
    }
}
