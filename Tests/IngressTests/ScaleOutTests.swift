import Foundation
import Ingress
import LightServeCore
import LoadClient
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

extension EndpointTests {
    /// LightServe as a worker behind real balancers (sglang-router 0.3.2 and Debian's HAProxy),
    /// with two replicas on localhost. Every wait is a bounded poll of a real endpoint.
    @Suite struct ScaleOut {
        /// Small replicas: one compute thread each (two share this machine's cores), a KV pool
        /// that a few long requests fill, two sequences at a time so the rest queue.
        static let replicaArguments = [
            "--threads", "1", "--max-total-tokens", "4096", "--max-running-requests", "2", "--max-req-total-len", "2048",
        ]

        static func replica(agentPort: Int? = nil, _ extra: [String] = []) async throws -> TestServer {
            try await TestServer.start(replicaArguments + (agentPort.map { ["--agent-port", "\($0)"] } ?? []) + extra)
        }

        // MARK: Worker endpoints

        @Test func testWorkerInfoRoutesSpeakSGLangsShapesWithoutModelPath() async throws {
            try await TestServer.with(Self.replicaArguments) { server in
                let load = try JSON.parse(try await server.get("/get_load").body)
                #expect(load == .array([.object([
                    ("dp_rank", .int(0)), ("num_reqs", .int(0)), ("num_waiting_reqs", .int(0)), ("num_tokens", .int(0)),
                ])]))
                for path in ["/server_info", "/get_server_info", "/model_info", "/get_model_info"] {
                    let r = try await server.get(path)
                    #expect(r.status == 200, "\(path)")
                    let info = try JSON.parse(r.body)
                    #expect(info["served_model_name"] == .string("SmolLM2-135M-Instruct.Q4_1"), "\(path)")
                    #expect(info["max_total_tokens"] == .int(4096), "\(path)")
                    #expect(info["max_running_requests"] == .int(2), "\(path)")
                    #expect(info["context_length"] == .int(8192), "\(path)")
                    #expect(info["model_path"] == nil, "\(path): a model_path makes the router load a tokenizer from it")
                }
                #expect(try await server.post("/get_load", "{}").status == 405)
                #expect(try await server.get("/flush_cache").status == 405)
            }
        }

        @Test func testGetLoadAndTheVLLMGaugesCountRunningAndQueuedWork() async throws {
            try await TestServer.with(Self.replicaArguments) { server in
                let loader = Loader(port: server.port, count: 6, maxNewTokens: 1000)
                // Two run, four wait: the waiting ones' prompts count as queued tokens.
                let queued = try await server.poll { server in
                    let load = try JSON.parse(try await server.get("/get_load").body).array?.first
                    return load?["num_waiting_reqs"] == .int(4) && load?["num_reqs"] == .int(6)
                        && (load?["num_tokens"]?.number ?? 0) > 6 * 100
                }
                #expect(queued)
                let metrics = try Observability.samples(try await server.get("/metrics").text)
                #expect(metrics["vllm:num_requests_running"] == 2)
                #expect(metrics["vllm:num_requests_waiting"] == 4)
                let usage = metrics["vllm:kv_cache_usage_perc"] ?? -1
                #expect(usage > 0 && usage < 1, "vllm:kv_cache_usage_perc \(usage)")
                await loader.stop()
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testFlushCacheEmptiesThePrefixCacheSoTheSamePromptIsComputedAgain() async throws {
            try await TestServer.with(Self.replicaArguments) { server in
                let prompt = String(repeating: "Prefix caching keeps the keys and values of prompts. ", count: 8)
                let body = #"{"inputs": "\#(prompt)", "parameters": {"max_new_tokens": 1}}"#
                func ratio() async throws -> Double {
                    try JSON.parse(try await server.get("/debug/stages").body)["kv"]?["prefix_cache_hit_ratio"]?.number ?? -1
                }
                #expect(try await server.post("/generate", body).status == 200)
                #expect(try await server.post("/generate", body).status == 200)
                let afterHit = try await ratio()
                #expect(afterHit > 0, "the second identical prompt reuses the first one's KV")

                let flushed = try await server.postJSON("/flush_cache", "")
                #expect(flushed.status == 200)
                #expect((flushed.json["freed_slots"]?.number ?? 0) > 50)
                #expect(try await server.postJSON("/flush_cache", "").json["freed_slots"] == .int(0))

                #expect(try await server.post("/generate", body).status == 200)
                #expect(try await ratio() < afterHit, "after the flush the prompt found nothing cached")
            }
        }

        // MARK: Fields sglang-router adds

        @Test func testOpenAIRoutesTakeTheRoutersFieldsAndStillRefuseUnknownOnes() async throws {
            try await TestServer.with(Self.replicaArguments) { server in
                // Exactly what sglang-router 0.3.2 adds, as captured from it.
                let added = #""no_stop_trim": false, "ignore_eos": false, "skip_special_tokens": true, "return_hidden_states": false"#
                let chatAdded = #"\#(added), "continue_final_message": false, "separate_reasoning": true, "stream_reasoning": true"#
                let completion = try await server.postJSON(
                    "/v1/completions", #"{"prompt": "Hi", "max_tokens": 3, "stream": false, "echo": false, \#(added)}"#)
                #expect(completion.status == 200)
                #expect(completion.json["usage"]?["completion_tokens"] == .int(3))
                let chat = try await server.postJSON(
                    "/v1/chat/completions",
                    #"{"messages": [{"role": "user", "content": "Hi"}], "logprobs": false, "max_completion_tokens": 2, "min_tokens": 2, \#(chatAdded)}"#)
                #expect(chat.status == 200)
                #expect(chat.json["usage"]?["completion_tokens"] == .int(2))

                let hidden = try await server.postJSON("/v1/completions", #"{"prompt": "Hi", "return_hidden_states": true}"#)
                #expect(hidden.status == 400)
                #expect(hidden.json["error"]?["param"] == .string("return_hidden_states"))
                let continued = try await server.postJSON(
                    "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "continue_final_message": true}"#)
                #expect(continued.status == 400)
                #expect(continued.json["error"]?["param"] == .string("continue_final_message"))
                let unknown = try await server.postJSON("/v1/completions", #"{"prompt": "Hi", "frobnicate": 1}"#)
                #expect(unknown.status == 400)
                #expect(unknown.json["error"]?["param"] == .string("frobnicate"))
            }
        }

        @Test func testNoStopTrimKeepsTheStopSequenceInTheText() async throws {
            try await TestServer.with(Self.replicaArguments) { server in
                let base = #""prompt": "Count: one, two, three,", "max_tokens": 12, "temperature": 0"#
                let plain = try await server.postJSON("/v1/completions", "{\(base)}")
                let text = plain.json["choices"]?.array?.first?["text"]?.string ?? ""
                let stop = String(text.dropFirst().prefix(3))
                #expect(!stop.isEmpty)
                let trimmed = try await server.postJSON("/v1/completions", #"{\#(base), "stop": ["\#(stop)"]}"#)
                let kept = try await server.postJSON("/v1/completions", #"{\#(base), "stop": ["\#(stop)"], "no_stop_trim": true}"#)
                let trimmedText = trimmed.json["choices"]?.array?.first?["text"]?.string
                let keptText = kept.json["choices"]?.array?.first?["text"]?.string
                #expect(trimmedText.map { !$0.contains(stop) } == true)
                #expect(keptText == (trimmedText ?? "") + stop)
            }
        }

        @Test func testRequestsThroughTheRealRouterAnswerOnBothOpenAIRoutes() async throws {
            let a = try await Self.replica()
            let b = try await Self.replica()
            let router = try await BalancerProcess.router([a, b])
            let completion = try await HTTPClient.send(
                port: router.port, path: "/v1/completions", body: #"{"model": "SmolLM2-135M-Instruct.Q4_1", "prompt": "Hi", "max_tokens": 3}"#)
            #expect(completion.status == 200, "\(completion.text)")
            let chat = try await HTTPClient.send(
                port: router.port, path: "/v1/chat/completions",
                body: #"{"model": "SmolLM2-135M-Instruct.Q4_1", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3}"#)
            #expect(chat.status == 200, "\(chat.text)")
            let stream = try await HTTPClient.send(
                port: router.port, path: "/v1/chat/completions",
                body: #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3, "stream": true}"#)
            #expect(stream.status == 200 && stream.text.hasSuffix("data: [DONE]\n\n"), "\(stream.text)")
            await router.stop()
            await a.stop()
            await b.stop()
        }

        // MARK: HAProxy's agent

        @Test func testAgentAnswersAWeightThatFallsWithLoadAndDrainOnSIGTERM() async throws {
            let agentPort = try Balancers.freePort()
            let server = try await Self.replica(agentPort: agentPort)
            #expect(try await agentLine(agentPort) == "100% ready\n")
            let loader = Loader(port: server.port, count: 6, maxNewTokens: 1000)
            #expect(try await server.poll { try await $0.logicalLoad() >= 0.9 })
            // The load moves while the streams run (once, it read 0.83 by the agent's turn), so the
            // agent is asked until its weight reflects a load of 0.9 or more.
            var busy = ""
            _ = try await server.poll { _ in
                busy = try await agentLine(agentPort)
                return (1...10).contains(Int(busy.prefix { $0.isNumber }) ?? -1)
            }
            let weight = Int(busy.prefix { $0.isNumber }) ?? -1
            #expect(busy.hasSuffix("% ready\n") && (1...10).contains(weight), "\(busy)")

            server.terminate()
            // The loader's streams keep the replica draining until they are stopped.
            #expect(try await server.poll { try await $0.get("/health").status == 503 })
            #expect(try await agentLine(agentPort) == "drain\n")
            let load = try JSON.parse(try await server.get("/get_load").body).array?.first
            #expect((load?["num_tokens"]?.number ?? 0) > 4096, "a draining replica reports itself full")
            await loader.stop()
            #expect(await server.exitStatus() == 0)
        }

        // MARK: Load following

        @Test func testPowerOfTwoSendsEveryRequestToTheLessLoadedReplicaAndFollowsTheLoad() async throws {
            let a = try await Self.replica()
            let b = try await Self.replica()
            let router = try await BalancerProcess.router([a, b])
            var splits: [String] = []
            do {
                for (busy, idle) in [(a, b), (b, a)] {
                    let loader = Loader(port: busy.port, count: 6, maxNewTokens: 1000)
                    #expect(try await busy.poll { try await $0.logicalLoad() >= 0.9 })
                    #expect(try await idle.waitForIdleKV() == 0)
                    // The router's cached loads are both newer than the load change.
                    #expect(try await busy.waitForLoadPolls())
                    #expect(try await idle.waitForLoadPolls())
                    let before = (try await busy.served("/v1/completions"), try await idle.served("/v1/completions"))
                    for i in 0..<20 {
                        let r = try await HTTPClient.send(
                            port: router.port, path: "/v1/completions", body: #"{"model": "SmolLM2-135M-Instruct.Q4_1", "prompt": "Request \#(i)", "max_tokens": 2}"#)
                        #expect(r.status == 200, "\(r.text)")
                    }
                    let (onBusy, onIdle) = try await Self.counted(20, "/v1/completions", on: busy, idle, since: before)
                    splits.append("loaded replica \(onBusy), other \(onIdle)")
                    #expect(onBusy == 0 && onIdle == 20, "power_of_two split: loaded \(onBusy), idle \(onIdle)")
                    await loader.stop()
                }
            } catch {
                await router.stop(); await a.stop(); await b.stop()
                throw error
            }
            print("power_of_two splits of 20 requests: \(splits.joined(separator: "; then "))")
            await router.stop()
            await a.stop()
            await b.stop()
        }

        @Test func testHAProxyAgentWeightsShiftTheShareToTheLessLoadedReplica() async throws {
            let ports = [try Balancers.freePort(), try Balancers.freePort()]
            let a = try await Self.replica(agentPort: ports[0])
            let b = try await Self.replica(agentPort: ports[1])
            let (haproxy, statsPort) = try await BalancerProcess.haproxy([(a, ports[0]), (b, ports[1])])
            var splits: [String] = []
            do {
                for (busy, idle, busyName) in [(a, b, "r0"), (b, a, "r1")] {
                    let loader = Loader(port: busy.port, count: 6, maxNewTokens: 1000)
                    #expect(try await busy.poll { try await $0.logicalLoad() >= 0.9 })
                    #expect(try await idle.waitForIdleKV() == 0)
                    // HAProxy has taken both agents' new weights.
                    let shifted = try await busy.poll { _ in
                        let weights = try await haproxyWeights(statsPort)
                        return weights.count == 2 && (weights[busyName] ?? 100) <= 10 && !weights.values.contains { $0 > 10 && $0 < 100 }
                            && weights.values.contains(100)
                    }
                    let weights = try await haproxyWeights(statsPort)
                    #expect(shifted, "weights: \(weights)")
                    let before = (try await busy.served("/generate"), try await idle.served("/generate"))
                    // leastconn weighs open connections by weight, so the 20 go at once: with no
                    // connection open anywhere the two servers tie (measured: 10/10 one after
                    // another); with 1 vs 100 the loaded one takes at most the ties.
                    let port = haproxy.port
                    let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                        for i in 0..<20 {
                            group.addTask {
                                try await HTTPClient.send(
                                    port: port, path: "/generate",
                                    body: #"{"inputs": "Request \#(i)", "parameters": {"max_new_tokens": 2}}"#).status
                            }
                        }
                        return try await group.reduce(into: [Int]()) { $0.append($1) }
                    }
                    #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
                    let (onBusy, onIdle) = try await Self.counted(20, "/generate", on: busy, idle, since: before)
                    splits.append("loaded replica \(onBusy), other \(onIdle)")
                    // A replica counts a 200 only once its write completed; HAProxy may close the
                    // server side first (seen once: 1 + 18 of 20 counted), so allow one short.
                    #expect(onBusy <= 2 && onIdle >= 18, "HAProxy split: loaded \(onBusy), idle \(onIdle)")
                    await loader.stop()
                }
            } catch {
                await haproxy.stop(); await a.stop(); await b.stop()
                throw error
            }
            print("HAProxy agent-weight splits of 20 requests: \(splits.joined(separator: "; then "))")
            await haproxy.stop()
            await a.stop()
            await b.stop()
        }

        /// Requests to `endpoint` each replica answered since `before`, once they add up to
        /// `total` (a replica counts a request just after its response leaves; bounded poll).
        static func counted(
            _ total: Int, _ endpoint: String, on first: TestServer, _ second: TestServer, since before: (Int, Int)
        ) async throws -> (Int, Int) {
            var counts = (0, 0)
            _ = try await first.poll(seconds: 30) { _ in
                counts = (try await first.served(endpoint) - before.0, try await second.served(endpoint) - before.1)
                return counts.0 + counts.1 >= total
            }
            return counts
        }

        // MARK: A replica dies or leaves mid-run

        /// What a batch of requests through a balancer came to.
        struct Outcomes: CustomStringConvertible {
            var ok = 0
            var failed: [String] = []
            var truncatedStreams = 0
            var description: String { "\(ok) ok, \(failed.count) failed \(failed.prefix(3)), \(truncatedStreams) truncated streams" }
        }

        /// Sends `count` requests through a balancer, `concurrency` at a time; a stream counts
        /// as whole when it ends as its protocol says (OpenAI: `[DONE]`; LightLLM: a last event
        /// with `finished: true` and no error). `midRun` runs once beside them.
        static func run(
            port: Int, count: Int, concurrency: Int, request: @escaping @Sendable (Int) -> (path: String, body: String, stream: Bool),
            midRun: @escaping @Sendable () async throws -> Void
        ) async throws -> Outcomes {
            let tally = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await midRun() }
                for _ in 0..<concurrency {
                    group.addTask {
                        while case let i = tally.next.add(1, ordering: .relaxed).oldValue, i < count {
                            let (path, body, stream) = request(i)
                            do {
                                let r = try await HTTPClient.send(port: port, path: path, body: body)
                                let whole = !stream || Self.streamIsWhole(r.text, openAI: path.hasPrefix("/v1/"))
                                tally.outcomes.withLock {
                                    if r.status != 200 { $0.failed.append("\(path) \(r.status) \(r.text.prefix(80))") }
                                    else if !whole { $0.truncatedStreams += 1 }
                                    else { $0.ok += 1 }
                                }
                            } catch {
                                tally.outcomes.withLock { $0.failed.append("\(path): \(error)") }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            return tally.outcomes.withLock { $0 }
        }

        /// The shared counters of ``run(port:count:concurrency:request:midRun:)``.
        final class Tally: Sendable {
            let outcomes = Mutex(Outcomes())
            let next = Atomic<Int>(0)
        }

        static func streamIsWhole(_ text: String, openAI: Bool) -> Bool {
            if openAI { return text.hasSuffix("data: [DONE]\n\n") && !text.contains(#""error""#) }
            var parser = ServerSentEventParser()
            guard let last = parser.feed(Array(text.utf8)).last, let event = try? JSON.parse(Array(last.utf8)) else { return false }
            return event["finished"] == .bool(true) && event["error"] == nil
        }

        /// Waits until `replica` runs at least one request, then runs `action` on it.
        static func once(_ replica: TestServer, isRunning action: @escaping @Sendable () -> Void) async throws {
            let running = try await replica.poll { server in
                let load = try JSON.parse(try await server.get("/token_load").body)
                return (load["current_load"]?.number ?? 0) > 0
            }
            #expect(running, "the replica never got a request")
            action()
        }

        @Test func testSIGKILLOfAReplicaMidRunLosesNoNonStreamingRequestThroughEitherBalancer() async throws {
            var report: [String] = []
            for balancer in ["sglang-router", "haproxy"] {
                let ports = [try Balancers.freePort(), try Balancers.freePort()]
                let victim = try await Self.replica(agentPort: ports[0])
                let survivor = try await Self.replica(agentPort: ports[1])
                let front: BalancerProcess
                let path: String
                if balancer == "haproxy" {
                    front = try await BalancerProcess.haproxy([(victim, ports[0]), (survivor, ports[1])]).0
                    path = "/generate"
                } else {
                    front = try await BalancerProcess.router([victim, survivor])
                    path = "/v1/completions"
                }
                let outcomes = try await Self.run(port: front.port, count: 24, concurrency: 6) { i in
                    path == "/generate"
                        ? (path, #"{"inputs": "Story \#(i):", "parameters": {"max_new_tokens": 24, "ignore_eos": true}}"#, false)
                        : (path, #"{"model": "SmolLM2-135M-Instruct.Q4_1", "prompt": "Story \#(i):", "max_tokens": 24, "ignore_eos": true}"#, false)
                } midRun: {
                    try await Self.once(victim) { kill(victim.pid, SIGKILL) }
                }
                report.append("\(balancer): \(outcomes)")
                #expect(outcomes.ok == 24, "\(balancer): \(outcomes)\n\(front.log.suffix(2000))")
                await front.stop()
                await victim.stop()
                await survivor.stop()
            }
            print("SIGKILL mid-run, 24 non-streaming requests each: \(report.joined(separator: "; "))")
        }

        @Test func testSIGTERMOfAReplicaMidRunFailsAndTruncatesNothingThroughEitherBalancer() async throws {
            var report: [String] = []
            for balancer in ["sglang-router", "haproxy"] {
                let ports = [try Balancers.freePort(), try Balancers.freePort()]
                let leaving = try await Self.replica(agentPort: ports[0])
                let staying = try await Self.replica(agentPort: ports[1])
                let front: BalancerProcess
                if balancer == "haproxy" {
                    front = try await BalancerProcess.haproxy([(leaving, ports[0]), (staying, ports[1])]).0
                } else {
                    front = try await BalancerProcess.router([leaving, staying])
                }
                let haproxy = balancer == "haproxy"
                let outcomes = try await Self.run(port: front.port, count: 24, concurrency: 6) { i in
                    let stream = i % 2 == 0
                    if haproxy {
                        return (stream ? "/generate_stream" : "/generate",
                                #"{"inputs": "Story \#(i):", "parameters": {"max_new_tokens": 24, "ignore_eos": true}}"#, stream)
                    }
                    return ("/v1/completions", #"{"model": "SmolLM2-135M-Instruct.Q4_1", "prompt": "Story \#(i):", "max_tokens": 24, "ignore_eos": true, "stream": \#(stream)}"#, stream)
                } midRun: {
                    try await Self.once(leaving) { leaving.terminate() }
                }
                report.append("\(balancer): \(outcomes)")
                #expect(outcomes.ok == 24 && outcomes.failed.isEmpty && outcomes.truncatedStreams == 0,
                        "\(balancer): \(outcomes)\n\(front.log.suffix(2000))")
                #expect(await leaving.exitStatus() == 0)
                await front.stop()
                await staying.stop()
            }
            print("SIGTERM mid-run, 24 requests each (half streamed): \(report.joined(separator: "; "))")
        }
    }
}

/// The one line HAProxy's agent-check would read from `port`.
func agentLine(_ port: Int) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { return continuation.resume(throwing: POSIXError(.ECONNREFUSED)) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                bytes += buffer[..<n]
            }
            continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
        }
    }
}

/// Each server's effective weight in HAProxy's statistics (`/stats;csv`), by server name.
func haproxyWeights(_ statsPort: Int) async throws -> [String: Int] {
    let text = try await HTTPClient.send(port: statsPort, method: .GET, path: "/stats;csv").text
    let lines = text.split(separator: "\n")
    guard let header = lines.first?.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false),
          let weightColumn = header.firstIndex(of: "weight"), let nameColumn = header.firstIndex(of: "svname")
    else { return [:] }
    var weights: [String: Int] = [:]
    for line in lines.dropFirst() {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count > weightColumn, fields[0] == "replicas", fields[nameColumn].hasPrefix("r"),
              let weight = Int(fields[weightColumn]) else { continue }
        weights[String(fields[nameColumn])] = weight
    }
    return weights
}
