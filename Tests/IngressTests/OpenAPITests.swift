import Foundation
import Ingress
import LightServeCore
import LoadClient
import NIOHTTP1
import TestSupport
import Testing

/// `/openapi.json` against the server that serves it: the document's routes are the route
/// table's (the 405 answers, which derive from the table, name the same methods), every body
/// field it documents is one the parser checks (each refused with a 400 naming it when given a
/// value the document does not allow), and schemathesis fuzzes every operation from it.
extension EndpointTests {
    @Suite struct OpenAPI {
        /// A small request limit keeps the fuzzed generations short: the document's token
        /// maximums follow it.
        static let serverArguments = ["--max-req-total-len", "48", "--default-max-new-tokens", "8", "--chat-max-new-tokens", "8"]

        static func document(_ server: TestServer) async throws -> JSON {
            let response = try await server.get("/openapi.json")
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            return try JSON.parse(response.body)
        }

        @Test func testDocumentListsExactlyTheRoutesOfTheRouteTable() async throws {
            try await TestServer.with(Self.serverArguments) { server in
                let document = try await Self.document(server)
                #expect(document["openapi"] == "3.1.0")
                guard case .object(let paths)? = document["paths"] else {
                    Issue.record("no paths")
                    return
                }
                let all = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
                for (path, item) in paths {
                    guard case .object(let members) = item else { continue }
                    let documented = Set(members.map { $0.0.uppercased() }.filter(all.contains))
                    for method in documented {
                        let summary = item[method.lowercased()]?["summary"]?.string ?? ""
                        #expect(!summary.isEmpty, "\(method) \(path) has no description")
                    }
                    // The table answers every other method with 405 and Allow: the methods it takes.
                    let concrete = path.replacingOccurrences(of: "{id}", with: "any")
                    let other = all.first { !documented.contains($0) && $0 != "HEAD" } ?? "PUT"
                    let response = try await HTTPClient.send(
                        port: server.port, method: HTTPMethod(rawValue: other), path: concrete, headers: server.authorization)
                    #expect(response.status == 405, "\(other) \(path)")
                    let allowed = Set((response.header("allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                    #expect(allowed == documented, "\(path): the table allows \(allowed), the document lists \(documented)")
                }
                for expected in ["/generate", "/v1/chat/completions", "/v1/models/{id}", "/tokenize", "/get_load", "/debug/trace", "/openapi.json"] {
                    #expect(paths.contains { $0.0 == expected }, "\(expected) is missing")
                }
            }
        }

        /// A valid body for each JSON route, to which one bad field is added.
        static let baseBodies: [String: JSON] = [
            "/generate": .object([("inputs", "Hi"), ("parameters", .object([("max_new_tokens", 1)]))]),
            "/generate_stream": .object([("inputs", "Hi"), ("parameters", .object([("max_new_tokens", 1)]))]),
            "/": .object([("inputs", "Hi"), ("parameters", .object([("max_new_tokens", 1)]))]),
            "/tokens": .object([("text", "Hi")]),
            "/get_score": .object([("chat", "Hi")]),
            "/v1/completions": .object([("prompt", "Hi"), ("max_tokens", 1)]),
            "/v1/chat/completions": .object([("messages", .array([.object([("role", "user"), ("content", "Hi")])])), ("max_tokens", 1)]),
            "/apply_chat_template": .object([("messages", .array([.object([("role", "user"), ("content", "Hi")])]))]),
            "/tokenize": .object([("text", "Hi")]),
            "/detokenize": .object([("ids", .array([1]))]),
        ]

        @Test func testEveryDocumentedBodyFieldIsCheckedByTheParser() async throws {
            try await TestServer.with(Self.serverArguments) { server in
                let document = try await Self.document(server)
                guard case .object(let paths)? = document["paths"] else { return }
                var checked = 0
                for (path, item) in paths {
                    guard let schema = item["post"]?["requestBody"]?["content"]?["application/json"]?["schema"] else { continue }
                    guard let base = Self.baseBodies[path] else {
                        Issue.record("\(path) takes a body this test has no valid example of")
                        continue
                    }
                    for (field, value) in Self.badValues(schema, prefix: []) {
                        let name = field.joined(separator: ".")
                        let body = Self.setting(base, field, to: value)
                        let response = try await server.post(path, body.serialized)
                        let message = (try? JSON.parse(response.body)).flatMap { $0["message"]?.string ?? $0["error"]?["message"]?.string } ?? response.text
                        #expect(response.status == 400, "\(path) \(name) = \(value.serialized): \(response.status) \(message)")
                        #expect(message.contains(name), "\(path) \(name) = \(value.serialized): \(message)")
                        checked += 1
                    }
                }
                #expect(checked > 150)
            }
        }

        /// For each property of an object schema (and of its nested objects that have no
        /// required fields), values the document does not allow: one of a JSON type it does not
        /// list, and one on each side of its range.
        static func badValues(_ schema: JSON, prefix: [String]) -> [([String], JSON)] {
            guard case .object(let properties)? = schema["properties"] else { return [] }
            var values: [([String], JSON)] = []
            for (name, property) in properties {
                let field = prefix + [name]
                let types: [String] = switch property["type"] {
                case .string(let t)?: [t]
                case .array(let list)?: list.compactMap(\.string)
                default: []
                }
                let candidates: [(String, JSON)] = [("object", .object([])), ("string", "x"), ("boolean", true), ("array", .array([]))]
                if let wrong = candidates.first(where: { !types.contains($0.0) }) { values.append((field, wrong.1)) }
                if !types.contains("number") && !types.contains("string") && types.contains("integer") { values.append((field, 0.5)) }
                if let minimum = property["minimum"]?.number { values.append((field, .double(minimum - 1))) }
                if let minimum = property["exclusiveMinimum"]?.number { values.append((field, .double(minimum))) }
                if let maximum = property["maximum"]?.number, maximum < 1e15 { values.append((field, .double(maximum + 1))) }
                if property["required"] == nil, property["properties"] != nil {
                    values += badValues(property, prefix: field)
                }
            }
            return values.map { field, value in
                // Whole numbers as integers, as a client writes them.
                if case .double(let d) = value, d == d.rounded() { return (field, .int(Int64(d))) }
                return (field, value)
            }
        }

        /// `body` with the field at `path` set to `value` (objects on the way kept or added).
        static func setting(_ body: JSON, _ path: [String], to value: JSON) -> JSON {
            guard let first = path.first else { return value }
            var members: [(String, JSON)] = if case .object(let m) = body { m } else { [] }
            let inner = setting(members.first { $0.0 == first }?.1 ?? .object([]), Array(path.dropFirst()), to: value)
            if let index = members.firstIndex(where: { $0.0 == first }) {
                members[index].1 = inner
            } else {
                members.append((first, inner))
            }
            return .object(members)
        }

        @Test func testSchemathesisFindsNoServerErrorAndNoResponseOutsideTheDocument() async throws {
            try await TestServer.with(Self.serverArguments) { server in
                let (status, output) = try await server.runPythonCheck("openapi_fuzz_check.py")
                #expect(status == 0, "\(output)")
                #expect(output.contains("all checks passed"), "\(output)")
                #expect(try await server.waitForIdleKV(seconds: 60) == 0)
                let health = try await server.get("/health")
                #expect(health.status == 200, "\(health.text)")
                #expect(server.isRunning)
            }
        }
    }
}
