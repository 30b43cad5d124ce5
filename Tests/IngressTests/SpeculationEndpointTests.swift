import Foundation
import LightServeCore
import LoadClient
import TestSupport
import Testing

extension EndpointTests {
    /// `serve --speculate ngram` end to end: greedy requests get the text, the finish reason and
    /// the token count they get without speculation, stop sequences, token limits and a
    /// constraint included, and the drafted and accepted tokens show in `/metrics`,
    /// `/debug/stages` and the trace.
    @Suite struct Speculation {
        static let rewrite =
            #"<|im_start|>user\nRewrite this Python function so that it is called total instead of add:\n\ndef add(a, b):\n    result = a + b\n    return result\n<|im_end|>\n<|im_start|>assistant\n"#

        static func request(_ parameters: String) -> String {
            #"{"inputs": "\#(rewrite)", "parameters": {\#(parameters)}}"#
        }

        /// generated_text, finish_reason and count_output_tokens of each request, in order.
        static func answers(_ server: TestServer, _ bodies: [String]) async throws -> [[JSON?]] {
            var answers: [[JSON?]] = []
            for body in bodies {
                let (status, json) = try await server.postJSON("/generate", body)
                #expect(status == 200, "\(body): \(json)")
                answers.append([json["generated_text"], json["finish_reason"], json["count_output_tokens"]])
            }
            return answers
        }

        /// Drafting with a fixed length: whether adaptive drafting pays depends on the step costs
        /// the server measures at start, which a busy machine moves.
        @Test func testGreedyOutputIsUnchangedAndDraftsAreCounted() async throws {
            let plainFull = try await TestServer.with { server in
                try await Self.answers(server, [Self.request(#""max_new_tokens": 48"#)])
            }
            // A stop sequence from the middle of the answer, so that it ends mid-draft.
            let text = try #require(plainFull.first?.first??.array?.first?.string)
            let stop = String(text.dropFirst(text.count / 2).prefix(5))
            let bodies = [
                Self.request(#""max_new_tokens": 48"#),
                Self.request(#""max_new_tokens": 48, "stop_sequences": ["\#(stop)"]"#),
                Self.request(#""max_new_tokens": 7"#),
                // Drafts the constraint refuses are rejections.
                Self.request(
                    #""max_new_tokens": 24, "regular_constraint": "(def|return|result|total|add| |a|b|=|\\+|\\n|:|\\(|\\)|,)+""#),
            ]
            let plain = try await TestServer.with { server in try await Self.answers(server, bodies) }
            try await TestServer.with(["--speculate", "ngram", "--draft-fixed", "--draft-max-tokens", "6"]) { server in
                let speculated = try await Self.answers(server, bodies)
                #expect(speculated == plain)
                #expect(plain[1][1] == .string("stop") && plain[2][1] == .string("length"))
                #expect(plain[3][0]?.array?.first?.string?.isEmpty == false)

                let metrics = try Observability.samples(try await server.get("/metrics").text)
                let drafted = try #require(metrics["lightserve_spec_draft_tokens_total"])
                let accepted = try #require(metrics["lightserve_spec_accepted_tokens_total"])
                #expect(drafted > 0 && accepted > 0 && accepted <= drafted)
                let kv = try JSON.parse(try await server.get("/debug/stages").body)["kv"]
                #expect(kv?["spec_draft_tokens"] == .int(Int64(drafted)))
                #expect(kv?["spec_accepted_tokens"] == .int(Int64(accepted)))
                let trace = try await server.get("/debug/trace?seconds=60").text
                #expect(trace.contains(#""speculation""#) && trace.contains(#""accepted""#))
                #expect(!trace.contains(#""draft_ms""#), "prompt lookup runs no draft model")
            }
        }

        /// `serve --draft-model`: SmolLM2 drafting for itself (same vocabulary, so the drafter's
        /// catch-up, its slots beside the model's and its pruned head all run) answers what the
        /// plain server answers, counts its drafts, and each engine step that drafted says in the
        /// trace how long the draft model took of it.
        @Test func testADraftModelServerAnswersAsThePlainOneAndTracesTheDrafterTime() async throws {
            let bodies = [Self.request(#""max_new_tokens": 32"#), Self.request(#""max_new_tokens": 5"#)]
            let plain = try await TestServer.with { server in try await Self.answers(server, bodies) }
            let arguments = ["--draft-model", try TestModel.path(), "--draft-fixed", "--draft-max-tokens", "4"]
            try await TestServer.with(arguments) { server in
                #expect(try await Self.answers(server, bodies) == plain)
                let metrics = try Observability.samples(try await server.get("/metrics").text)
                #expect((metrics["lightserve_spec_draft_tokens_total"] ?? 0) > 0)
                let events = try JSON.parse(try await server.get("/debug/trace?seconds=60").body)["traceEvents"]?.array ?? []
                let drafting = events.filter { $0["args"]?["drafted"] != nil }
                #expect(!drafting.isEmpty)
                for event in drafting where event["name"]?.string?.hasPrefix("step") == true {
                    let milliseconds = event["args"]?["draft_ms"]?.string.flatMap(Double.init) ?? 0
                    #expect(milliseconds > 0, "\(event)")
                }
            }
        }
    }
}
