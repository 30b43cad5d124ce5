import Testing

@testable import Ingress

/// The pieces that decide who may call the server, without a server.
@Suite struct AccessPolicyTests {
    @Test func testOnlyAConfiguredKeyExactlyIsAccepted() throws {
        let keys = try APIKeys([("alpha-key", "--api-key"), ("beta", "LIGHTSERVE_API_KEY")])
        #expect(keys.accepts(Array("alpha-key".utf8)) && keys.accepts(Array("beta".utf8)))
        for guess in ["alpha-ke", "alpha-keyy", "Alpha-key", "", "beta ", "alpha-keyalpha-key", "bet"] {
            #expect(!keys.accepts(Array(guess.utf8)), "\(guess)")
        }
        // Lengths that differ by a multiple of 256 still differ.
        let one = try APIKeys([("k", "test")])
        #expect(!one.accepts(Array(String(repeating: "k", count: 257).utf8)))
        #expect(!one.accepts([]))
        #expect(APIKeys.difference(Array("k".utf8), Array("k".utf8)) == 0)
    }

    @Test func testKeysAnHTTPHeaderCannotCarryAreRefusedByName() {
        #expect(throws: APIKeys.Failure.empty(source: "--api-key")) { try APIKeys([("", "--api-key")]) }
        #expect(throws: APIKeys.Failure.unusableCharacter(source: "file, key 2")) { try APIKeys([("two words", "file, key 2")]) }
        #expect(throws: APIKeys.Failure.unusableCharacter(source: "env")) { try APIKeys([("clé", "env")]) }
    }

    @Test func testBearerTokensAreReadFromTheAuthorizationHeader() {
        #expect(APIKeys.bearerToken("Bearer abc") == Array("abc".utf8))
        #expect(APIKeys.bearerToken("bEaReR   abc  ") == Array("abc".utf8))
        #expect(APIKeys.bearerToken("Basic abc") == nil)
        #expect(APIKeys.bearerToken("Bearer") == nil)
        #expect(APIKeys.bearerToken("Bearerabc") == nil)
        #expect(APIKeys.bearerToken(nil) == nil)
    }

    @Test func testCORSOriginsMustBeOriginsAndMatchAsBrowsersSendThem() throws {
        let policy = try CrossOriginPolicy(origins: ["https://App.example", "http://localhost:3000"])
        #expect(policy.allowedOrigin("https://app.example") == "https://app.example")
        #expect(policy.allowedOrigin("http://localhost:3000") == "http://localhost:3000")
        #expect(policy.allowedOrigin("http://localhost:3001") == nil)
        #expect(policy.allowedOrigin("null") == nil && policy.allowedOrigin(nil) == nil)
        let any = try CrossOriginPolicy(origins: ["*"])
        #expect(any.allowedOrigin("https://anyone.example") == "*")
        #expect(try CrossOriginPolicy(origins: []).isEmpty)
        for bad in ["app.example", "https://app.example/", "https://app.example/path", "ftp://app.example", "https://"] {
            #expect(throws: CrossOriginPolicy.Failure.notAnOrigin(bad)) { try CrossOriginPolicy(origins: [bad]) }
        }
    }

    @Test func testJSONMediaTypesWithParametersAndSuffixesCount() {
        for type in ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/problem+json"] {
            #expect(HandlerSupport.isJSON(contentType: type), "\(type)")
        }
        for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "text/json", "application/jsonp", "", "json"] {
            #expect(!HandlerSupport.isJSON(contentType: type), "\(type)")
        }
    }

    @Test func testOneAtATimeTurnsAwayWorkWhileOtherWorkRuns() async throws {
        let gate = OneAtATime()
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let first = Task {
            await gate.run {
                startedContinuation.yield()
                for await _ in release { break }
                return "first"
            }
        }
        for await _ in started { break }
        #expect(await gate.run { "second" } == nil, "refused while the first runs")
        releaseContinuation.yield()
        #expect(await first.value == "first")
        #expect(await gate.run { "third" } == "third", "free again afterwards")
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await gate.run { throw Failure() } }
        #expect(await gate.run { "after an error" } == "after an error")
    }
}
