import Foundation
import Ingress
import LightServeCore
import LoadClient
import NIOHTTP1
import TestSupport
import Testing

extension EndpointTests {
    /// API keys and the address the server listens on.
    @Suite struct Authentication {
        static let key = "test-key-4b1d"

        /// Every route but the health probes, each with a method it takes.
        static let guarded: [(method: HTTPMethod, path: String)] = [
            (.GET, "/get_model_name"), (.GET, "/token_load"), (.GET, "/get_load"), (.GET, "/server_info"),
            (.GET, "/get_server_info"), (.GET, "/model_info"), (.GET, "/get_model_info"), (.GET, "/v1/models"),
            (.GET, "/v1/models/SmolLM2-135M-Instruct.Q4_1"), (.GET, "/metrics"), (.GET, "/debug/stages"),
            (.GET, "/debug/trace"), (.GET, "/debug/server"), (.GET, "/debug/throughput"), (.GET, "/debug/timeline"),
            (.POST, "/generate"), (.POST, "/generate_stream"), (.POST, "/"), (.POST, "/tokens"), (.POST, "/get_score"),
            (.POST, "/v1/completions"), (.POST, "/v1/chat/completions"), (.POST, "/apply_chat_template"),
            (.POST, "/tokenize"), (.POST, "/detokenize"), (.POST, "/flush_cache"),
            (.GET, "/no/such/route"), (.GET, "/generate"), (.DELETE, "/v1/models"),
        ]
        static let probes = ["/health", "/healthz", "/liveness", "/readiness"]

        static func send(_ server: TestServer, _ method: HTTPMethod, _ path: String, authorization: String?) async throws -> HTTPClient.Response {
            try await HTTPClient.send(
                port: server.port, method: method, path: path, body: method == .POST ? "{}" : nil,
                headers: authorization.map { [("Authorization", $0)] } ?? [])
        }

        @Test func testWithAKeyEveryRouteButTheProbesAnswers401InOpenAIShape() async throws {
            try await TestServer.with(apiKey: Self.key) { server in
                var failures: [String] = []
                for (method, path) in Self.guarded {
                    for authorization in [nil, "Bearer wrong-key", "Bearer \(Self.key)x", "Basic \(Self.key)", "Bearer"] {
                        let r = try await Self.send(server, method, path, authorization: authorization)
                        let error = (try? JSON.parse(r.body))?["error"]
                        if r.status != 401 || r.header("www-authenticate") != "Bearer" || error?["type"] != .string("authentication_error")
                            || error?["message"]?.string?.isEmpty != false
                        {
                            failures.append("\(method) \(path) with \(authorization ?? "no key"): \(r.status) \(r.text.prefix(100))")
                        }
                    }
                    let allowed = try await Self.send(server, method, path, authorization: "Bearer \(Self.key)")
                    if allowed.status == 401 { failures.append("\(method) \(path) refused the right key") }
                }
                for path in Self.probes {
                    let r = try await HTTPClient.send(port: server.port, method: .GET, path: path)
                    if r.status != 200 { failures.append("probe \(path) without a key: \(r.status)") }
                }
                #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
                #expect(try await HTTPClient.send(port: server.port, method: .HEAD, path: "/health").status == 200)
                // The console's page is static and asks for the key itself; its data needs the key.
                let page = try await HTTPClient.send(port: server.port, method: .GET, path: "/", headers: Console.browserHeaders)
                #expect(page.status == 200 && page.text.contains("<title>LightServe console</title>"))
                let generated = try await server.postJSON("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 2}}"#)
                #expect(generated.status == 200 && generated.json["count_output_tokens"] == .int(2))
                let lowercase = try await Self.send(server, .GET, "/get_model_name", authorization: "bearer  \(Self.key) ")
                #expect(lowercase.status == 200, "the scheme is case-insensitive and spaces around the key are allowed")
            }
        }

        @Test func testMetricsPublicOpensMetricsAndNothingElse() async throws {
            try await TestServer.with(["--metrics-public"], apiKey: Self.key) { server in
                let metrics = try await HTTPClient.send(port: server.port, method: .GET, path: "/metrics")
                #expect(metrics.status == 200 && metrics.text.contains("lightserve_open_connections"))
                #expect(try await Self.send(server, .GET, "/debug/stages", authorization: nil).status == 401)
                #expect(try await Self.send(server, .POST, "/generate", authorization: nil).status == 401)
            }
        }

        @Test func testKeysComeFromFlagsTheEnvironmentAndAKeyFile() async throws {
            let file = TestPaths.temporaryFile(".keys")
            try "# team keys\nfile-key-one\n\n  file-key-two  \n".write(toFile: file, atomically: true, encoding: .utf8)
            try await TestServer.with(
                ["--api-key-file", file, "--api-key", "flag-key-two"], apiKey: "flag-key-one",
                environment: ["LIGHTSERVE_API_KEY": "environment-key"]
            ) { server in
                for key in ["flag-key-one", "flag-key-two", "environment-key", "file-key-one", "file-key-two"] {
                    #expect(try await Self.send(server, .GET, "/get_model_name", authorization: "Bearer \(key)").status == 200, "\(key)")
                }
                for key in ["# team keys", "file-key", "environment-key2"] {
                    #expect(try await Self.send(server, .GET, "/get_model_name", authorization: "Bearer \(key)").status == 401, "\(key)")
                }
                let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
                #expect(log.contains("5 API keys"), "\(log)")
            }
        }

        @Test func testAnUnusableKeyStopsTheServerWithAMessage() async throws {
            let file = TestPaths.temporaryFile(".keys")
            try "# nothing but a comment\n".write(toFile: file, atomically: true, encoding: .utf8)
            for (arguments, message) in [(["--api-key", "two words"], "an HTTP header cannot carry it"), (["--api-key-file", file], "holds no key")] {
                do {
                    let server = try await TestServer.start(arguments)
                    await server.stop()
                    Issue.record("the server started with \(arguments)")
                } catch let failure as TestServer.Failure {
                    #expect(failure.description.contains(message), "\(failure)")
                }
            }
        }

        @Test func testWithoutAKeyTheServerListensOnLoopbackAndSaysSo() async throws {
            try await TestServer.with(host: nil) { server in
                #expect(server.listeningLine.contains("http://127.0.0.1:"), "\(server.listeningLine)")
                let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
                #expect(log.contains("no API key: listening on 127.0.0.1 only"), "\(log)")
                #expect(try await server.get("/get_model_name").status == 200)
            }
            try await TestServer.with(host: "0.0.0.0") { server in
                let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
                #expect(log.contains("warning") && log.contains("listening on 0.0.0.0 without an API key"), "\(log)")
            }
            try await TestServer.with(host: nil, apiKey: Self.key) { server in
                #expect(server.listeningLine.contains("http://0.0.0.0:"), "with a key the default is every interface")
                let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
                #expect(!log.contains("without an API key"), "\(log)")
            }
        }
    }

    /// Slow and silent clients, and the cap on open connections.
    @Suite struct Timeouts {
        /// The server's `connections` figures.
        static func connections(_ server: TestServer) async throws -> JSON {
            try #require(try await server.stages()["connections"])
        }

        @Test func testFiveHundredSilentConnectionsAreClosedOnTimeWhileANormalClientIsServed() async throws {
            try await TestServer.with(["--header-timeout", "5"]) { server in
                var silent: [RawConnection] = []
                for _ in 0..<500 { silent.append(try await RawConnection.open(port: server.port)) }
                // The server holds all of them (the poll's own connection is one more) until their
                // header timeout; those opened first may meet it while a busy test process opens the rest...
                #expect(try await server.waitForStages(seconds: 60) { stages in
                    let connections = stages["connections"]
                    return (connections?["open"]?.number ?? 0) + (connections?["timeouts"]?["header"]?.number ?? 0) >= 501
                })
                // ...and serves a normal client meanwhile.
                let answer = try await server.postJSON("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 4}}"#)
                #expect(answer.status == 200 && answer.json["count_output_tokens"] == .int(4))
                #expect(try await server.get("/health").status == 200)
                // Each silent one is closed without an answer within a deadline of several header timeouts.
                let deadline = ContinuousClock.now + .seconds(60)
                var open = 0
                for connection in silent {
                    if await !connection.waitUntilClosed(deadline: deadline) { open += 1 }
                }
                #expect(open == 0, "\(open) silent connections still open")
                #expect(silent.allSatisfy { $0.bytes.isEmpty })
                let counts = try await Self.connections(server)
                #expect((counts["timeouts"]?["header"]?.number ?? 0) >= 500, "\(counts)")
                #expect(try await server.waitForStages { $0["connections"]?["open"] == .int(1) })
            }
        }

        @Test func testAHeadTrickledByteByByteIsClosedAfterTheHeaderTimeout() async throws {
            try await TestServer.with(["--header-timeout", "1"]) { server in
                let slow = try await RawConnection.open(port: server.port, sending: "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
                // One more byte after every round trip to the server, until it hangs up.
                let deadline = ContinuousClock.now + .seconds(60)
                var sent = 0
                while !slow.isClosed, ContinuousClock.now < deadline {
                    do { try await slow.send("a") } catch { break }
                    sent += 1
                    _ = try await server.get("/health")
                }
                #expect(await slow.waitUntilClosed(deadline: deadline), "still open after \(sent) bytes")
                #expect(slow.bytes.isEmpty, "\(slow.text)")
                #expect(try await Self.connections(server)["timeouts"]?["header"] == .int(1))
            }
        }

        @Test func testABodyTrickledByteByByteIsClosedAfterTheBodyTimeout() async throws {
            try await TestServer.with(["--body-timeout", "1"]) { server in
                let slow = try await RawConnection.open(
                    port: server.port,
                    sending: "POST /generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"inputs\": \"")
                let deadline = ContinuousClock.now + .seconds(60)
                while !slow.isClosed, ContinuousClock.now < deadline {
                    do { try await slow.send("a") } catch { break }
                    _ = try await server.get("/health")
                }
                #expect(await slow.waitUntilClosed(deadline: deadline))
                #expect(try await Self.connections(server)["timeouts"]?["body"] == .int(1))
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testAnIdleKeepAliveConnectionIsClosedButAStreamLongerThanTheIdleTimeoutIsNot() async throws {
            try await TestServer.with(["--idle-timeout", "1", "--header-timeout", "1"]) { server in
                var parser = ServerSentEventParser()
                var events = 0
                var eventsWhenIdleClosed: Int?
                var finished = false
                try await HTTPClient.stream(
                    port: server.port, path: "/generate_stream",
                    body: #"{"inputs": "Tell me a long story.", "parameters": {"max_new_tokens": 2000, "ignore_eos": true}}"#
                ) { head in
                    #expect(head.status == 200)
                } onChunk: { chunk in
                    for event in parser.feed(chunk) {
                        events += 1
                        if (try? JSON.parse(Array(event.utf8)))?["finished"] == .bool(true) { finished = true }
                    }
                    if eventsWhenIdleClosed == nil {
                        // The stream runs: a keep-alive connection that asks once and then waits is
                        // closed after the idle timeout, while this stream goes on.
                        let idle = try await RawConnection.open(port: server.port, sending: "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                        #expect(await idle.waitUntilClosed(deadline: .now + .seconds(60)))
                        #expect(idle.text.hasPrefix("HTTP/1.1 200 OK"), "\(idle.text)")
                        eventsWhenIdleClosed = events
                    }
                    return events >= (eventsWhenIdleClosed ?? .max) + 5 || finished ? .disconnect : .continue
                }
                let before = try #require(eventsWhenIdleClosed)
                #expect(!finished, "the stream should outlast the idle timeout; make it longer")
                #expect(events >= before + 5, "the stream stopped when the idle connection was closed")
                #expect(try await Self.connections(server)["timeouts"]?["idle"] == .int(1), "only the idle connection timed out")
                #expect(try await server.waitForIdleKV() == 0)
            }
        }

        @Test func testConnectionsPastTheLimitGet503UntilOthersClose() async throws {
            // A header timeout long enough that the three hold their places however long this
            // test process takes to poll; they are closed from this side below.
            try await TestServer.with(["--max-connections", "3", "--header-timeout", "120"]) { server in
                var silent: [RawConnection] = []
                for _ in 0..<3 { silent.append(try await RawConnection.open(port: server.port)) }
                // Connections are counted as their event loops take them: poll until a fourth is refused.
                var refused: HTTPClient.Response?
                let deadline = ContinuousClock.now + .seconds(60)
                while refused == nil, ContinuousClock.now < deadline {
                    let r = try await HTTPClient.send(port: server.port, method: .GET, path: "/get_model_name")
                    if r.status == 503 { refused = r }
                }
                let response = try #require(refused)
                #expect(response.header("retry-after") == "1" && response.header("connection") == "close")
                #expect(try JSON.parse(response.body)["message"]?.string?.contains("--max-connections") == true, "\(response.text)")
                for connection in silent { await connection.close() }
                var served = false
                while !served, ContinuousClock.now < deadline {
                    served = try await server.get("/get_model_name").status == 200
                }
                #expect(served, "once the silent connections are gone, requests are served again")
                let counts = try await Self.connections(server)
                #expect((counts["refused"]?.number ?? 0) >= 1 && counts["limit"] == .int(3), "\(counts)")
            }
        }
    }

    /// What a web page of another origin can make the server do.
    @Suite struct Browsers {
        static let jsonRoutes: [(path: String, body: String)] = [
            ("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 1}}"#),
            ("/generate_stream", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 1}}"#),
            ("/", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 1}}"#),
            ("/tokens", #"{"text": "Hi"}"#), ("/get_score", #"{"chat": "Hi"}"#),
            ("/v1/completions", #"{"prompt": "Hi", "max_tokens": 1}"#),
            ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}"#),
            ("/apply_chat_template", #"{"messages": [{"role": "user", "content": "Hi"}]}"#),
            ("/tokenize", #"{"text": "Hi"}"#), ("/detokenize", #"{"ids": [1]}"#),
        ]

        /// A raw request without a `Content-Type`, as a page's `fetch` with a Blob body sends it.
        static func postWithoutContentType(_ server: TestServer, _ path: String, _ body: String) async throws -> String {
            let connection = try await RawConnection.open(
                port: server.port,
                sending: "POST \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            _ = await connection.waitUntilClosed(deadline: .now + .seconds(60))
            return connection.text
        }

        @Test func testJSONRoutesRefuseBodiesThatAreNotSentAsJSON() async throws {
            try await TestServer.with { server in
                var failures: [String] = []
                for (path, body) in Self.jsonRoutes {
                    for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", ""] {
                        let r = try await server.post(path, body, headers: [("Content-Type", type)])
                        let message = (try? JSON.parse(r.body)).flatMap { $0["message"]?.string ?? $0["error"]?["message"]?.string }
                        if r.status != 415 || message?.contains("Content-Type: application/json") != true {
                            failures.append("\(path) as '\(type)': \(r.status) \(r.text.prefix(100))")
                        }
                    }
                    let raw = try await Self.postWithoutContentType(server, path, body)
                    if !raw.hasPrefix("HTTP/1.1 415") || !raw.contains("no Content-Type") {
                        failures.append("\(path) without Content-Type: \(raw.prefix(100))")
                    }
                    for type in ["application/json; charset=utf-8", "Application/JSON", "application/vnd.lightserve+json"] {
                        let r = try await server.post(path, body, headers: [("Content-Type", type)])
                        if r.status == 415 { failures.append("\(path) refused '\(type)'") }
                    }
                }
                #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
                // The OpenAI routes answer in OpenAI's shape.
                let openai = try await server.post("/v1/completions", #"{"prompt": "Hi"}"#, headers: [("Content-Type", "text/plain")])
                #expect(try JSON.parse(openai.body)["error"]?["type"] == .string("invalid_request_error"))
            }
        }

        @Test func testPagesOfOtherOriginsAreRefusedAndGetNoCORSHeaders() async throws {
            try await TestServer.with { server in
                let body = #"{"inputs": "Hi", "parameters": {"max_new_tokens": 1}}"#
                let evil = "http://evil.example"
                // A browser's cross-origin request, by its fetch metadata or by its Origin alone.
                for headers in [
                    [("Origin", evil), ("Content-Type", "text/plain")], [("Origin", evil)],
                    [("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "no-cors"), ("Origin", evil), ("Content-Type", "text/plain")],
                    [("Sec-Fetch-Site", "same-site"), ("Sec-Fetch-Mode", "cors"), ("Origin", "http://localhost:3000")],
                ] {
                    let r = try await server.post("/generate", body, headers: headers)
                    #expect(r.status == 403 && r.text.contains("--cors-origin"), "\(headers): \(r.status) \(r.text)")
                    #expect(!r.headers.contains { $0.0.lowercased().hasPrefix("access-control-") }, "\(headers)")
                }
                let trace = try await HTTPClient.send(
                    port: server.port, method: .GET, path: "/debug/trace?seconds=60",
                    headers: [("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "image")])
                #expect(trace.status == 403, "an <img> of another page may not export traces")
                let preflight = try await HTTPClient.send(
                    port: server.port, method: .OPTIONS, path: "/v1/chat/completions",
                    headers: [("Origin", evil), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type")])
                #expect(preflight.status == 403)
                #expect(!preflight.headers.contains { $0.0.lowercased().hasPrefix("access-control-") })
                // The server's own pages, typed URLs, links to the console, and clients that are not browsers pass.
                let own = try await server.post("/generate", body, headers: [("Origin", "http://127.0.0.1:\(server.port)"), ("Sec-Fetch-Site", "same-origin")])
                #expect(own.status == 200 && own.header("access-control-allow-origin") == nil)
                #expect(try await server.post("/generate", body, headers: [("Origin", "http://127.0.0.1:\(server.port)")]).status == 200)
                let link = try await HTTPClient.send(
                    port: server.port, method: .GET, path: "/",
                    headers: Console.browserHeaders + [("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "navigate"), ("Sec-Fetch-Dest", "document")])
                #expect(link.status == 200)
                #expect(try await server.post("/generate", body).status == 200)
            }
        }

        @Test func testListedOriginsGetPreflightAndHeadersAndOthersDoNot() async throws {
            let app = "https://app.example"
            try await TestServer.with(["--cors-origin", app, "--cors-origin", "http://localhost:3000"], apiKey: Authentication.key) { server in
                let preflight = try await HTTPClient.send(
                    port: server.port, method: .OPTIONS, path: "/v1/chat/completions",
                    headers: [("Origin", app), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "authorization, content-type")])
                #expect(preflight.status == 204, "a preflight needs no key: browsers never send one with it")
                #expect(preflight.header("access-control-allow-origin") == app)
                #expect(preflight.header("access-control-allow-methods")?.contains("POST") == true)
                let allowedHeaders = preflight.header("access-control-allow-headers")?.lowercased() ?? ""
                #expect(allowedHeaders.contains("authorization") && allowedHeaders.contains("content-type"))
                #expect(preflight.header("vary") == "Origin")

                let fromApp = [("Origin", app), ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "cors")]
                let chat = try await server.post(
                    "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}"#, headers: fromApp)
                #expect(chat.status == 200 && chat.header("access-control-allow-origin") == app)
                #expect(chat.header("vary")?.contains("Origin") == true)
                #expect(chat.header("access-control-expose-headers")?.contains("X-Request-Id") == true)
                // A refused key is readable by the page, so it can ask for the right one.
                let unauthorized = try await HTTPClient.send(port: server.port, method: .GET, path: "/debug/server", headers: fromApp)
                #expect(unauthorized.status == 401 && unauthorized.header("access-control-allow-origin") == app)

                let other = try await HTTPClient.send(
                    port: server.port, method: .OPTIONS, path: "/v1/chat/completions",
                    headers: [("Origin", "https://other.example"), ("Access-Control-Request-Method", "POST")])
                #expect(other.status == 403 && other.header("access-control-allow-origin") == nil)
                let unknown = try await HTTPClient.send(
                    port: server.port, method: .OPTIONS, path: "/no/such/route",
                    headers: [("Origin", app), ("Access-Control-Request-Method", "POST")])
                #expect(unknown.status != 204 && unknown.header("access-control-allow-methods") == nil, "no preflight allowance off the routes")
                let noOrigin = try await server.post("/generate", "{}")
                #expect(noOrigin.header("access-control-allow-origin") == nil, "no Origin, no CORS headers")
            }
            try await TestServer.with(["--cors-origin", "*"]) { server in
                let r = try await server.post(
                    "/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 1}}"#,
                    headers: [("Origin", "https://anyone.example"), ("Sec-Fetch-Site", "cross-site")])
                #expect(r.status == 200 && r.header("access-control-allow-origin") == "*")
                let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
                #expect(log.contains("warning") && log.contains("--cors-origin *"), "\(log)")
            }
        }

        @Test func testABadCORSOriginStopsTheServerWithAMessage() async throws {
            do {
                let server = try await TestServer.start(["--cors-origin", "https://app.example/"])
                await server.stop()
                Issue.record("the server started with a path in --cors-origin")
            } catch let failure as TestServer.Failure {
                #expect(failure.description.contains("is not an origin"), "\(failure)")
            }
        }
    }

    /// `/debug/trace` within bounds.
    @Suite struct TraceExport {
        @Test func testTraceWindowIsCappedAndConcurrentExportsGet429() async throws {
            try await TestServer.with { server in
                _ = try await server.post("/generate", #"{"inputs": "Hi", "parameters": {"max_new_tokens": 8}}"#)
                let tooLong = try await server.get("/debug/trace?seconds=3600")
                #expect(tooLong.status == 400 && tooLong.text.contains("at most 60"), "\(tooLong.text)")
                #expect(try await server.get("/debug/trace?seconds=60").status == 200)
                let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let r = try await server.get("/debug/trace?seconds=60&format=svg")
                            return (r.status, r.header("retry-after"))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0.0 == 200 || ($0.0 == 429 && $0.1 == "1") }, "\(statuses)")
                #expect(statuses.contains { $0.0 == 200 })
                #expect(try await server.get("/debug/trace?seconds=60").status == 200, "the export slot is free again")
            }
        }
    }
}
