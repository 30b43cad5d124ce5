import Foundation
import Ingress
import LightServeCore
import LoadClient
import NIOHTTP1
import Synchronization
import TestSupport

/// The two real load balancers the scale-out tests run, installed on first use by
/// `scripts/install-balancers` (sglang-router 0.3.2 in a git-ignored venv, HAProxy from Debian):
/// tests never skip for want of them.
enum Balancers {
    struct Tools: Sendable {
        var routerPython: String
        var haproxy: String
    }

    enum Failure: Error, CustomStringConvertible {
        case installFailed(Int32, String)
        case didNotStart(String, String)
        var description: String {
            switch self {
            case .installFailed(let status, let output): "scripts/install-balancers exited with \(status): \(output)"
            case .didNotStart(let what, let log): "\(what) did not become ready: \(log)"
            }
        }
    }

    private static let tools = Mutex<Tools?>(nil)

    static func install() throws -> Tools {
        try tools.withLock { cached in
            if let cached { return cached }
            let process = Process()
            process.executableURL = TestPaths.repositoryRoot.appendingPathComponent("scripts/install-balancers")
            let output = Pipe()
            let log = Pipe()
            process.standardOutput = output
            process.standardError = log
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            var values: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { values[parts[0]] = parts[1] }
            }
            guard process.terminationStatus == 0, let router = values["router"], let haproxy = values["haproxy"] else {
                throw Failure.installFailed(process.terminationStatus, text + errors)
            }
            cached = Tools(routerPython: router, haproxy: haproxy)
            return cached!
        }
    }

    /// A port nothing listens on now (the kernel's pick for an ephemeral bind).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A balancer process (router or HAProxy) with its log, stopped with SIGTERM.
final class BalancerProcess: Sendable {
    let name: String
    let port: Int
    let logPath: String
    private let process: Process

    private init(name: String, port: Int, logPath: String, process: Process) {
        self.name = name
        self.port = port
        self.logPath = logPath
        self.process = process
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private static func launch(name: String, port: Int, executable: String, arguments: [String]) throws -> BalancerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let logPath = TestPaths.temporaryFile(".\(name).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return BalancerProcess(name: name, port: port, logPath: logPath, process: process)
    }

    /// sglang-router in front of `replicas`, `power_of_two`, polling their `/get_load` and
    /// `/health` every second, a worker out after one failed health check (docs/scale-out.md).
    static func router(_ replicas: [TestServer]) async throws -> BalancerProcess {
        let tools = try Balancers.install()
        let port = try Balancers.freePort()
        let router = try launch(
            name: "sglang-router", port: port, executable: tools.routerPython,
            arguments: ["-m", "sglang_router.launch_router", "--host", "127.0.0.1", "--port", "\(port)", "--worker-urls"]
                + replicas.map { "http://127.0.0.1:\($0.port)" }
                + ["--policy", "power_of_two", "--worker-startup-check-interval", "1", "--health-check-interval-secs", "1",
                   "--health-failure-threshold", "1", "--retry-max-retries", "10", "--log-level", "info"])
        try await router.waitUntilReady(path: "/v1/models", seconds: 120)
        return router
    }

    /// HAProxy in front of `replicas` (each started with `--agent-port`), as docs/scale-out.md
    /// configures it: leastconn, health checks on `/health`, agent weights, whole requests
    /// buffered so a request a dying replica took can be replayed elsewhere. Its statistics
    /// are at `/stats;csv` on `statsPort`.
    static func haproxy(_ replicas: [(server: TestServer, agentPort: Int)]) async throws -> (BalancerProcess, statsPort: Int) {
        let tools = try Balancers.install()
        let port = try Balancers.freePort()
        let statsPort = try Balancers.freePort()
        let servers = replicas.enumerated().map { index, replica in
            "    server r\(index) 127.0.0.1:\(replica.server.port) weight 100 check inter 500ms fall 1 rise 1 "
                + "agent-check agent-addr 127.0.0.1 agent-port \(replica.agentPort) agent-inter 500ms"
        }
        let configuration = """
            global
                maxconn 512
            defaults
                mode http
                timeout connect 2s
                timeout client 300s
                timeout server 300s
                retries 3
                option redispatch 1
                retry-on conn-failure empty-response 503
                option http-buffer-request
            frontend lightserve
                bind 127.0.0.1:\(port)
                default_backend replicas
            frontend stats
                bind 127.0.0.1:\(statsPort)
                stats enable
                stats uri /stats
            backend replicas
                balance leastconn
                option httpchk GET /health
            \(servers.joined(separator: "\n"))

            """
        let path = TestPaths.temporaryFile(".haproxy.cfg")
        try configuration.write(toFile: path, atomically: true, encoding: .utf8)
        let haproxy = try launch(name: "haproxy", port: port, executable: tools.haproxy, arguments: ["-db", "-f", path])
        try await haproxy.waitUntilReady(path: "/health", seconds: 60)
        return (haproxy, statsPort)
    }

    /// Polls `path` until it answers 200 (bounded).
    private func waitUntilReady(path: String, seconds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if !process.isRunning { break }
            if let response = try? await HTTPClient.send(port: port, method: .GET, path: path), response.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        await stop()
        throw Balancers.Failure.didNotStart(name, log)
    }

    /// Kills the balancer outright: the router would otherwise wait out its shutdown grace
    /// period, and a test has nothing left to drain through it.
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let process = self.process
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
    }
}

/// Keeps a replica busy with long streamed generations sent to it directly (not through a
/// balancer) until ``stop()``, when every one disconnects and so is cancelled.
final class Loader: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    /// `count` streams of `maxNewTokens` tokens each (EOS ignored) after a prompt of ~100 tokens.
    init(port: Int, count: Int, maxNewTokens: Int) {
        let prompt = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 10)
        let body = #"{"inputs": "\#(prompt)", "parameters": {"max_new_tokens": \#(maxNewTokens), "ignore_eos": true}}"#
        let started = (0..<count).map { _ in
            Task<Void, Never> { [self] in
                _ = try? await HTTPClient.stream(port: port, path: "/generate_stream", body: body) { _ in
                } onChunk: { _ in
                    self.stopped.load(ordering: .relaxed) ? .disconnect : .continue
                }
            }
        }
        tasks.withLock { $0 = started }
    }

    /// Disconnects every stream at its next chunk and waits until all have ended.
    func stop() async {
        stopped.store(true, ordering: .relaxed)
        for task in tasks.withLock({ $0 }) { await task.value }
    }
}

/// Figures read from a replica's own endpoints.
extension TestServer {
    /// `lightserve_http_requests_total` for `endpoint` with status 200, from `/metrics`.
    func served(_ endpoint: String) async throws -> Int {
        let text = try await get("/metrics").text
        var total = 0
        for line in text.split(separator: "\n") where line.hasPrefix("lightserve_http_requests_total{") {
            guard line.contains("endpoint=\"\(endpoint)\""), line.contains("status=\"200\"") else { continue }
            total += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return total
    }

    /// `/token_load`'s `logical_max_load`.
    func logicalLoad() async throws -> Double {
        try JSON.parse(try await get("/token_load").body)["logical_max_load"]?.number ?? 0
    }

    /// Polls (bounded) until `condition` holds for this replica; false if it never did.
    func poll(seconds: Int = 120, _ condition: (TestServer) async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition(self) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Waits until the router has polled `/get_load` `times` more times, so that its view of
    /// this replica's load is no older than now.
    func waitForLoadPolls(_ times: Int = 2) async throws -> Bool {
        let start = try await served("/get_load")
        return try await poll(seconds: 30) { try await $0.served("/get_load") >= start + times }
    }
}
