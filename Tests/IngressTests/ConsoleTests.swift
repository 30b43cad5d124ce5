import Foundation
import Ingress
import LightServeCore
import LoadClient
import NIOHTTP1
import TestSupport
import Testing

extension EndpointTests {
    /// The web console: its page, the JSON it reads, and the page itself in a real headless
    /// Chromium (Debian's `chromium` and `chromium-driver`, driven by Selenium from PyPI).
    @Suite struct Console {
        static let browserHeaders = [("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]

        @Test func testRootServesTheConsoleToBrowsersAndPOSTStillGenerates() async throws {
            try await TestServer.with { server in
                let page = try await HTTPClient.send(port: server.port, method: .GET, path: "/", headers: Self.browserHeaders)
                #expect(page.status == 200)
                #expect(page.header("content-type") == "text/html; charset=utf-8")
                #expect(page.text.contains("<title>LightServe console</title>"))
                // Everything is in the page or asked for by a relative URL: no other host, no "/…".
                for absolute in ["fetch(\"/", "href=\"/", "src=\"/", "getJSON(\"/", "http://", "https://", "//cdn"] {
                    #expect(!page.text.contains(absolute), "the page holds \(absolute)")
                }
                let api = try await HTTPClient.send(port: server.port, method: .GET, path: "/", headers: [("Accept", "application/json")])
                #expect(api.status == 406)
                #expect(try JSON.parse(api.body)["message"]?.string?.contains("POST /") == true)
                let generated = try await server.postJSON("/", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 2}}"#)
                #expect(generated.status == 200 && generated.json["generated_text"] != nil)
                let put = try await HTTPClient.send(port: server.port, method: .PUT, path: "/", body: "{}")
                #expect(put.status == 405 && put.header("allow") == "GET, POST")
            }
        }

        @Test func testServerInfoSaysWhetherChatAndTracingAreOn() async throws {
            try await TestServer.with { server in
                let info = try JSON.parse(try await server.get("/debug/server").body)
                #expect(info["model_name"] == .string("SmolLM2-135M-Instruct.Q4_1"))
                #expect(info["chat_template"] == .bool(true))
                #expect(info["trace_enabled"] == .bool(true))
                #expect((info["kv_capacity"]?.number ?? 0) > 0)
                #expect(info["default_max_new_tokens"] == .int(16))
            }
            let synthetic = SyntheticModel(.llama)
            let path = TestPaths.temporaryFile()
            try synthetic.write(to: path)
            try await TestServer.with(["--trace-events", "0"], model: path) { server in
                let info = try JSON.parse(try await server.get("/debug/server").body)
                #expect(info["chat_template"] == .bool(false))
                #expect(info["trace_enabled"] == .bool(false))
                let timeline = try await server.get("/debug/timeline")
                #expect(timeline.status == 400 && timeline.text.contains("--trace-events"))
            }
        }

        @Test func testThroughputCountsEveryTokenSentToClients() async throws {
            try await TestServer.with { server in
                let before = try JSON.parse(try await server.get("/debug/throughput?seconds=60").body)
                #expect(before["output_tokens_total"] == .int(0))
                #expect(before["output_tokens_per_second"]?.array?.count == 60)
                let (status, events) = try await server.stream(
                    "/generate_stream", #"{"inputs": "What is AI?", "parameters": {"max_new_tokens": 7, "ignore_eos": true}}"#)
                #expect(status == 200 && events.count == 7)
                let chat = try await server.postJSON(
                    "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "ignore_eos": true}"#)
                #expect(chat.json["usage"]?["completion_tokens"] == .int(5))
                let after = try JSON.parse(try await server.get("/debug/throughput?seconds=60").body)
                #expect(after["output_tokens_total"] == .int(12))
                let perSecond = after["output_tokens_per_second"]?.array?.compactMap(\.number) ?? []
                #expect(perSecond.reduce(0, +) + (after["current_second_tokens"]?.number ?? 0) == 12)
                #expect(try await server.get("/debug/throughput?seconds=0").status == 400)
            }
        }

        @Test func testTimelineKeepsEveryRequestOfItsWindowAcrossPolls() async throws {
            try await TestServer.with { server in
                _ = try await server.postJSON("/generate", #"{"inputs": "One", "parameters": {"max_new_tokens": 3}}"#)
                let first = try await server.get("/debug/timeline?seconds=60")
                #expect(first.status == 200 && first.header("content-type") == "image/svg+xml")
                #expect(first.text.contains(" 1 requests</text>"))
                _ = try await server.postJSON("/generate", #"{"inputs": "Two", "parameters": {"max_new_tokens": 3}}"#)
                let second = try await server.get("/debug/timeline?seconds=60").text
                #expect(second.contains(" 2 requests</text>"))
                // The same lanes as /debug/trace draws from the whole ring.
                let whole = try await server.get("/debug/trace?seconds=60&format=svg").text
                #expect(Self.laneNames(second) == Self.laneNames(whole))
                #expect(Self.laneNames(second).filter { $0.hasPrefix("req-") }.count == 2)
            }
        }

        @Test func testConsoleWorksInHeadlessChromiumUnderLoadAndBehindAPrefix() async throws {
            let screenshot = ProcessInfo.processInfo.environment["LIGHTSERVE_CONSOLE_SCREENSHOT"] ?? TestPaths.temporaryFile(".png")
            try await TestServer.with(["--max-running-requests", "4"]) { server in
                let (status, output) = try Self.runBrowserCheck(["full", "http://127.0.0.1:\(server.port)", "--screenshot", screenshot])
                #expect(status == 0, "\(output)")
                #expect(output.contains("all checks passed"), "\(output)")
            }
            let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
        }

        @Test func testConsoleSaysWhenTheModelHasNoChatTemplate() async throws {
            let synthetic = SyntheticModel(.llama)
            let path = TestPaths.temporaryFile()
            try synthetic.write(to: path)
            try await TestServer.with(model: path) { server in
                let (status, output) = try Self.runBrowserCheck(["no-chat-template", "http://127.0.0.1:\(server.port)"])
                #expect(status == 0, "\(output)")
                #expect(output.contains("all checks passed"), "\(output)")
            }
        }

        @Test func testConsoleAsksForTheAPIKeyOnceAndKeepsItInTheTab() async throws {
            try await TestServer.with(apiKey: Authentication.key) { server in
                let (status, output) = try Self.runBrowserCheck(["api-key", "http://127.0.0.1:\(server.port)", "--key", Authentication.key])
                #expect(status == 0, "\(output)")
                #expect(output.contains("all checks passed"), "\(output)")
            }
        }

        /// Runs `Tests/Fixtures/console_browser_check.py`; its exit status and output.
        static func runBrowserCheck(_ arguments: [String]) throws -> (Int32, String) {
            let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/console_browser_check.py").path
            let process = Process()
            process.executableURL = try TestPaths.python()
            process.arguments = [script] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        /// The lane labels of a timeline SVG (stages, then requests).
        static func laneNames(_ svg: String) -> [String] {
            svg.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("<text x=\"4.0\""), let open = line.firstIndex(of: ">"), let close = line.lastIndex(of: "<") else {
                    return nil
                }
                return String(line[line.index(after: open)..<close])
            }
        }
    }
}
