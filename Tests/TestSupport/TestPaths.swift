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

    /// The Python interpreter of the repository's virtual environment (`.venv`, made by
    /// `scripts/bootstrap` with the packages the tests' scripts import), or `LIGHTSERVE_PYTHON`.
    public static func python() throws -> URL {
        if let python = ProcessInfo.processInfo.environment["LIGHTSERVE_PYTHON"], !python.isEmpty {
            return URL(fileURLWithPath: python)
        }
        let venv = repositoryRoot.appendingPathComponent(".venv/bin/python3")
        guard FileManager.default.isExecutableFile(atPath: venv.path) else { throw TestModel.Failure.noVirtualEnvironment(venv.path) }
        return venv
    }

    private static let scratchDirectory: String = {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lightserve-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestPaths.scratchDirectory) }
        return path
    }()
}

/// The models tests run on. The default is SmolLM2-135M-Instruct Q4_1, whose goldens pin the
/// engine's behaviour: `LIGHTSERVE_MODEL` if set, else the cached download, fetched on first use
/// by `scripts/fetch-model smollm2-135m` (tests never skip for want of it). Other catalog models
/// come by name the same way.
public enum TestModel {
    public enum Failure: Error, CustomStringConvertible {
        case fetchFailed(status: Int32, output: String)
        case noVirtualEnvironment(String)
        public var description: String {
            switch self {
            case .fetchFailed(let status, let output):
                return "scripts/fetch-model exited with \(status): \(output)"
            case .noVirtualEnvironment(let path):
                return "no Python interpreter at \(path): run scripts/bootstrap (scripts/test does) to make the virtual environment"
            }
        }
    }

    /// The catalog name of the default test model.
    public static let defaultName = "smollm2-135m"

    private static let cached = Mutex<[String: String]>([:])

    public static func path() throws -> String {
        try path(named: nil)
    }

    /// Gemma 3 270M Q4_K_M, fetched by `scripts/fetch-model gemma3-270m` on first use.
    public static func gemma3() throws -> String {
        try path(named: "gemma3-270m")
    }

    /// The catalog model `name` (Sources/ModelStore/models.tsv), fetched on first use.
    public static func named(_ name: String) throws -> String {
        try path(named: name == defaultName ? nil : name)
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
        process.arguments = [name ?? defaultName]
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
