import LightServeCore
import LoadClient
import Testing

extension EndpointTests {
    /// The tests' own HTTP client, where its behaviour decides whether endpoint tests can fail
    /// for reasons of their own.
    @Suite struct TestClient {
        /// A request is written as its connection opens, not when the calling task next gets a
        /// thread: in a test run whose other suites hold the whole cooperative pool with model
        /// work, that was later than the server's `--header-timeout`, and endpoint tests failed
        /// with "I/O on closed channel".
        @Test func testARequestGoesOutWhileItsCallerWaitsForAThread() async throws {
            try await TestServer.with(["--header-timeout", "1"]) { server in
                let port = server.port
                let caller = HeldExecutor()
                let request = Task(executorPreference: caller) {
                    try await HTTPClient.send(port: port, path: "/generate", body: #"{"inputs": "Hi", "parameters": {"max_new_tokens": 1}}"#)
                }
                // Either the server took the request in, or it closed the silent connection.
                let settled = try await server.waitForStages { stages in
                    (stages["stages"]?.array?.first?["enqueued_total"]?.number ?? 0) >= 1
                        || (stages["connections"]?["timeouts"]?["header"]?.number ?? 0) >= 1
                }
                caller.release()
                #expect(settled)
                let response = try await request.value
                #expect(response.status == 200)
                #expect(try await server.stages()["connections"]?["timeouts"]?["header"] == .int(0))
            }
        }
    }
}
