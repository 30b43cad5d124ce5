import Foundation
import Synchronization

/// Locations the tests share: the repository, its fixtures and the default model.
public enum TestPaths {
    /// The repository root, found from this source file's location.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `Tests/Fixtures/<name>`: golden data copied from the reference material.
    public static func fixture(_ name: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name)
    }

    /// Decodes a JSON fixture.
    public static func loadFixture<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: fixture(name)))
    }

    /// A fresh temporary file path with the given extension, in a directory of this test process's
    /// own that is removed when the process exits (the files used to stay behind in the temporary
    /// directory, ~50 and 20 MB per run of the suite).
    public static func temporaryFile(_ suffix: String = ".gguf") -> String {
        URL(fileURLWithPath: scratchDirectory).appendingPathComponent("\(UUID().uuidString)\(suffix)").path
    }

    private static let scratchDirectory: String = {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lightserve-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestPaths.scratchDirectory) }
        return path
    }()
}

/// The default model for tests that depend on real weights: `LIGHTSERVE_MODEL` if set, else the
/// cached download, fetched on first use by `scripts/fetch-model` (tests never skip for want of it).
public enum TestModel {
    public enum Failure: Error, CustomStringConvertible {
        case fetchFailed(status: Int32, output: String)
        public var description: String {
            switch self {
            case .fetchFailed(let status, let output):
                return "scripts/fetch-model exited with \(status): \(output)"
            }
        }
    }

    private static let cached = Mutex<[String: String]>([:])

    public static func path() throws -> String {
        try path(named: nil)
    }

    /// Gemma 3 270M Q4_K_M, fetched by `scripts/fetch-model gemma3-270m` on first use.
    public static func gemma3() throws -> String {
        try path(named: "gemma3-270m")
    }

    private static func path(named name: String?) throws -> String {
        try cached.withLock { cached in
            if let path = cached[name ?? ""] { return path }
            let path = try locate(name)
            cached[name ?? ""] = path
            return path
        }
    }

    private static func locate(_ name: String?) throws -> String {
        if name == nil, let env = ProcessInfo.processInfo.environment["LIGHTSERVE_MODEL"], !env.isEmpty {
            return env
        }
        let process = Process()
        process.executableURL = TestPaths.repositoryRoot.appendingPathComponent("scripts/fetch-model")
        process.arguments = name.map { [$0] } ?? []
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !output.isEmpty else {
            throw Failure.fetchFailed(status: process.terminationStatus, output: output)
        }
        return output
    }
}
