import ArgumentParser
import CJemalloc
import Foundation

/// Where the model comes from, shared by every subcommand.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "GGUF model file (default: $LIGHTSERVE_MODEL, else the cache scripts/fetch-model fills).")
    var model: String?

    @Option(name: .long, help: "Compute threads, including the engine thread.")
    var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    static let defaultFileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// The model path to use, or a validation error telling the user how to get one.
    func resolvedModelPath() throws -> String {
        if let model { return model }
        if let env = ProcessInfo.processInfo.environment["LIGHTSERVE_MODEL"], !env.isEmpty { return env }
        var candidates = [FileManager.default.currentDirectoryPath + "/.cache/models/" + Self.defaultFileName]
        // The binary usually lives in <repo>/.build/<triple>/release/.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent(".cache/models/" + Self.defaultFileName).path)
            directory.deleteLastPathComponent()
        }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw ValidationError("no model given and none cached: pass --model PATH, set LIGHTSERVE_MODEL, or run scripts/fetch-model")
    }

    /// The allocator in use, from jemalloc's own introspection (proves it is linked in).
    static var allocator: String {
        var version: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "system malloc" }
        return "jemalloc " + String(cString: version)
    }
}
