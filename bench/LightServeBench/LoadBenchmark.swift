import ArgumentParser
import Foundation
import LightServeCore
import LoadClient

/// A load generator: N concurrent streaming clients against LightServe's `/generate_stream` or
/// llama.cpp's `/completion`, reporting output tokens/s, time to first token and inter-token
/// latency percentiles as JSON. The same client drives both servers.
struct LoadBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Streaming load against a running server.")

    enum API: String, ExpressibleByArgument {
        case lightserve
        case llamaServer = "llama-server"
    }

    @Option(help: "Server host.")
    var host = "127.0.0.1"

    @Option(help: "Server port.")
    var port = 8080

    @Option(help: "lightserve (/generate_stream) or llama-server (/completion).")
    var api: API = .lightserve

    @Option(help: "Concurrent clients.")
    var clients = 8

    @Option(help: "Requests each client sends, one after another.")
    var requestsPerClient = 2

    @Option(help: "Words per prompt.")
    var promptWords = 100

    @Option(help: "Tokens to generate per request (EOS ignored).")
    var maxTokens = 64

    @Option(help: "Prompt set (default: a random one). Runs with different sets share no prompt, so a server's prefix cache cannot serve one run from an earlier one's.")
    var promptSet: Int?

    /// Different words in a different order per request: no two prompts share a prefix.
    static func prompt(words: Int, seed: Int) -> String {
        let vocabulary = [
            "river", "engine", "quiet", "market", "purple", "network", "garden", "theory", "silver", "window", "planet",
            "history", "coffee", "signal", "forest", "bridge", "memory", "ocean", "pencil", "thunder", "village",
            "machine", "winter", "harbor", "castle", "lantern", "meadow", "rocket", "valley", "whisper", "canyon", "desert",
        ]
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        let body = (0..<words).map { _ -> String in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return vocabulary[Int(state >> 33) % vocabulary.count]
        }
        return "Request \(seed): " + body.joined(separator: " ")
    }

    struct Sample: Sendable {
        var tokens = 0
        var timeToFirstToken: Double?
        var gaps: [Double] = []
        var failed = false
    }

    func run() async throws {
        let set = promptSet ?? Int.random(in: 1...999_999)
        let clock = ContinuousClock()
        let start = clock.now
        let samples = try await withThrowingTaskGroup(of: [Sample].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var results: [Sample] = []
                    for r in 0..<requestsPerClient {
                        results.append(await one(seed: set &* 10_000_000 &+ client &* 1000 &+ r))
                    }
                    return results
                }
            }
            var all: [Sample] = []
            for try await batch in group { all += batch }
            return all
        }
        let elapsed = (clock.now - start).seconds
        let ok = samples.filter { !$0.failed }
        let tokens = ok.reduce(0) { $0 + $1.tokens }
        let ttft = ok.compactMap(\.timeToFirstToken).sorted()
        let gaps = ok.flatMap(\.gaps).sorted()
        func percentile(_ values: [Double], _ p: Double) -> Double {
            values.isEmpty ? 0 : values[min(values.count - 1, Int(Double(values.count) * p))]
        }
        try printJSON([
            "benchmark": "load", "api": api.rawValue, "clients": clients, "requests": samples.count,
            "failed": samples.count - ok.count, "prompt_set": set, "prompt_words": promptWords, "max_tokens": maxTokens,
            "output_tokens": tokens, "seconds": round3(elapsed), "output_tok_s": round3(Double(tokens) / elapsed),
            "ttft_p50_s": round3(percentile(ttft, 0.5)), "ttft_p99_s": round3(percentile(ttft, 0.99)),
            "itl_p50_ms": round3(percentile(gaps, 0.5) * 1000), "itl_p99_ms": round3(percentile(gaps, 0.99) * 1000),
        ])
    }

    private func one(seed: Int) async -> Sample {
        let prompt = Self.prompt(words: promptWords, seed: seed)
        let path: String
        let body: String
        switch api {
        case .lightserve:
            path = "/generate_stream"
            body = #"{"inputs": \#(jsonString(prompt)), "parameters": {"max_new_tokens": \#(maxTokens), "ignore_eos": true}}"#
        case .llamaServer:
            path = "/completion"
            body = #"{"prompt": \#(jsonString(prompt)), "n_predict": \#(maxTokens), "ignore_eos": true, "stream": true, "cache_prompt": false, "temperature": 0}"#
        }
        var sample = Sample()
        var parser = ServerSentEventParser()
        let clock = ContinuousClock()
        let sent = clock.now
        var last = sent
        do {
            var status = 0
            try await HTTPClient.stream(host: host, port: port, path: path, body: body) { head in
                status = head.status
            } onChunk: { chunk in
                for event in parser.feed(chunk) where countsAsToken(event) {
                    let now = clock.now
                    if sample.tokens == 0 {
                        sample.timeToFirstToken = (now - sent).seconds
                    } else {
                        sample.gaps.append((now - last).seconds)
                    }
                    last = now
                    sample.tokens += 1
                }
                return .continue
            }
            sample.failed = status != 200 || sample.tokens == 0
        } catch {
            sample.failed = true
        }
        return sample
    }

    /// One event per generated token: LightServe's token events; llama-server's content chunks
    /// (its final `"stop": true` event carries timings, not a token).
    private func countsAsToken(_ event: String) -> Bool {
        switch api {
        case .lightserve: event.hasPrefix("{\"token\"")
        case .llamaServer: !event.contains("\"stop\":true") && !event.contains("\"stop\": true")
        }
    }

    private func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
