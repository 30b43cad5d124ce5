import Foundation
import Ingress
import LightServeCore
import LoadClient
import NIOHTTP1
import TestSupport

/// A real `lightserve serve` process on a free port, with the real model, for endpoint tests.
final class TestServer: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case binaryMissing(String)
        case didNotStart(String)
        var description: String {
            switch self {
            case .binaryMissing(let path): "no lightserve binary at \(path)"
            case .didNotStart(let output): "the server did not start: \(output)"
            }
        }
    }

    let port: Int
    private let process: Process
    let logPath: String
    /// The API key the server was started with; the request helpers send it.
    let apiKey: String?
    /// The line the server printed when it started listening (`LightServe listening on …`).
    let listeningLine: String

    /// The binary built next to the test bundle (the test target depends on it).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lightserve").path
    }

    private init(process: Process, port: Int, logPath: String, apiKey: String?, listeningLine: String) {
        self.process = process
        self.port = port
        self.logPath = logPath
        self.apiKey = apiKey
        self.listeningLine = listeningLine
    }

    /// Starts a server with a small KV pool unless `arguments` say otherwise, listening on `host`
    /// (nil: the server's default). With `apiKey` the server requires it and the request helpers
    /// send it; `environment` is added to the server's.
    static func start(
        _ arguments: [String] = [], model: String? = nil, host: String? = "127.0.0.1", apiKey: String? = nil,
        environment: [String: String] = [:]
    ) async throws -> TestServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw Failure.binaryMissing(binary) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var args = ["serve", "--model", try model ?? TestModel.path(), "--port", "0"]
        if let host { args += ["--host", host] }
        if !arguments.contains("--kv-cache-mb") && !arguments.contains("--max-total-tokens") {
            args += ["--kv-cache-mb", "128"]
        }
        if let apiKey { args += ["--api-key", apiKey] }
        process.arguments = args + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let stdout = Pipe()
        let logPath = TestPaths.temporaryFile(".log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        let line = await Self.firstLine(of: stdout.fileHandleForReading, timeout: 60)
        guard let line, let portText = line.split(separator: ":").last, let port = Int(portText) else {
            process.terminate()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw Failure.didNotStart((line ?? "no output") + "\n" + log)
        }
        return TestServer(process: process, port: port, logPath: logPath, apiKey: apiKey, listeningLine: line)
    }

    private static func firstLine(of handle: FileHandle, timeout: Double) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                let deadline = Date().addingTimeInterval(timeout)
                while Date() < deadline {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    bytes += data
                    if let newline = bytes.firstIndex(of: 0x0A) {
                        continuation.resume(returning: String(decoding: bytes[..<newline], as: UTF8.self))
                        return
                    }
                }
                continuation.resume(returning: nil)
            }
        }
    }

    /// Runs `body` against a fresh server and stops the server afterwards, also when `body` throws.
    static func with<T>(
        _ arguments: [String] = [], model: String? = nil, host: String? = "127.0.0.1", apiKey: String? = nil,
        environment: [String: String] = [:], _ body: (TestServer) async throws -> T
    ) async throws -> T {
        let server = try await start(arguments, model: model, host: host, apiKey: apiKey, environment: environment)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func stop() async -> Int32 {
        if process.isRunning { process.interrupt() }
        let process = self.process
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    /// Sends SIGTERM without waiting.
    func terminate() {
        kill(process.processIdentifier, SIGTERM)
    }

    var isRunning: Bool { process.isRunning }

    /// The server's process id, for signals other than SIGTERM.
    var pid: Int32 { process.processIdentifier }

    func exitStatus() async -> Int32 { await stop() }

    /// Runs the Python script `Tests/Fixtures/<script>` with the server's base URL (plus
    /// `path`) and the extra arguments; its exit status and everything it printed.
    func runPythonCheck(_ script: String, path: String = "", _ arguments: [String] = []) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try TestPaths.python()
        process.arguments = [TestPaths.fixture(script).path, "http://127.0.0.1:\(port)\(path)"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: output.fileHandleForReading.readDataToEndOfFile()) }
        }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    // MARK: Requests

    /// `Authorization: Bearer <apiKey>` when the server has a key.
    var authorization: [(String, String)] {
        apiKey.map { [("Authorization", "Bearer \($0)")] } ?? []
    }

    func get(_ path: String) async throws -> HTTPClient.Response {
        try await HTTPClient.send(port: port, method: .GET, path: path, headers: authorization)
    }

    func post(_ path: String, _ body: String, headers: [(String, String)] = []) async throws -> HTTPClient.Response {
        try await HTTPClient.send(port: port, method: .POST, path: path, body: body, headers: authorization + headers)
    }

    /// POSTs and parses the JSON response body.
    func postJSON(_ path: String, _ body: String) async throws -> (status: Int, json: JSON) {
        let response = try await post(path, body)
        return (response.status, try JSON.parse(response.body))
    }

    /// Streams a request and returns its status and events as JSON (OpenAI's closing `[DONE]`
    /// left out).
    func stream(_ path: String, _ body: String) async throws -> (status: Int, events: [JSON]) {
        var status = 0
        var parser = ServerSentEventParser()
        var events: [JSON] = []
        try await HTTPClient.stream(port: port, path: path, body: body, headers: authorization) { head in
            status = head.status
        } onChunk: { chunk in
            // OpenAI's stream ends with `[DONE]`, which is not JSON.
            for event in parser.feed(chunk) where event != "[DONE]" { events.append(try JSON.parse(Array(event.utf8))) }
            return .continue
        }
        return (status, events)
    }

    /// `/debug/stages`, parsed.
    func stages() async throws -> JSON {
        try JSON.parse(try await get("/debug/stages").body)
    }

    /// Polls `/debug/stages` until `condition` holds for it, or `seconds` pass; whether it held.
    func waitForStages(seconds: Int = 120, _ condition: (JSON) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition(try await stages()) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Polls `/debug/stages` until its `kv` figures satisfy `condition`, or `seconds` pass.
    func waitForKV(seconds: Int = 120, _ condition: (JSON) -> Bool) async throws -> Bool {
        try await waitForStages(seconds: seconds) { stages in stages["kv"].map(condition) ?? false }
    }

    /// Polls `/token_load` until `current_load` is 0 or `seconds` pass; returns the last figure.
    func waitForIdleKV(seconds: Double = 10) async throws -> Double {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var current = -1.0
        while ContinuousClock.now < deadline {
            let load = try JSON.parse(try await get("/token_load").body)
            current = load["current_load"]?.number ?? -1
            if current == 0 { return 0 }
            try await Task.sleep(for: .milliseconds(50))
        }
        return current
    }
}

extension JSON {
    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var array: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
}
