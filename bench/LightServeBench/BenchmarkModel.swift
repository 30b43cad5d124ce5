import ArgumentParser
import Execute
import Foundation
import LightServeCore

/// The model the benchmarks run: `--model`, `$LIGHTSERVE_MODEL`, or the fetched default.
struct BenchmarkModel: ParsableArguments {
    @Option(name: .long, help: "GGUF model (default: $LIGHTSERVE_MODEL or .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf).")
    var model: String?

    @Option(name: .long, help: "Compute threads.")
    var threads = 2

    var path: String {
        get throws {
            if let model { return model }
            if let env = ProcessInfo.processInfo.environment["LIGHTSERVE_MODEL"], !env.isEmpty { return env }
            let cached = FileManager.default.currentDirectoryPath + "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
            guard FileManager.default.fileExists(atPath: cached) else {
                throw ValidationError("no model: pass --model, set LIGHTSERVE_MODEL or run scripts/fetch-model")
            }
            return cached
        }
    }
}

/// Deterministic English-like filler text of about `words` words.
func benchmarkText(words: Int) -> String {
    let sentence = """
        The quick brown fox jumps over the lazy dog while 42 curious engineers measure how fast a small \
        language model can read, think and answer on two ordinary CPU cores in 2026.
        """
    let perSentence = sentence.split(separator: " ").count
    return Array(repeating: sentence, count: (words + perSentence - 1) / perSentence).joined(separator: " ")
}

/// Prints `object` as one line of sorted-key JSON, with what this process computes with: the
/// processor, LightServe's kernel build and OpenBLAS's core (a figure means little without them).
func printJSON(_ object: [String: Any]) throws {
    let compute = try ComputeReport.current()
    var object = object
    object["processor"] = compute.processor
    object["lightserve_kernels"] = compute.kernels
    object["openblas_core"] = compute.openBLASCore
    object["openblas_core_chosen_by"] = compute.openBLASChoice
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

/// The middle value of `values` (the upper of the two middle ones for an even count): the
/// statistic every benchmark here reports for repeated timings.
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
