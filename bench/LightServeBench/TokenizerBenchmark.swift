import ArgumentParser
import Execute
import Foundation
import GGUF
import LightServeCore
import Tokenize

/// Encoding speed of a long prompt.
struct TokenizerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenizer", abstract: "Tokenizer encode time for a long prompt.")

    @OptionGroup var model: BenchmarkModel

    @Option(name: .long, help: "Words in the prompt.")
    var words = 4000

    @Option(name: .long, help: "Timed repetitions (the median is reported).")
    var repetitions = 21

    func run() throws {
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: model.path))
        let text = benchmarkText(words: words)
        let clock = ContinuousClock()
        var times: [Double] = []
        var tokens = 0
        for _ in 0..<repetitions {
            let start = clock.now
            tokens = tokenizer.encode(text).count
            times.append((clock.now - start).seconds)
        }
        times.sort()
        let median = times[times.count / 2]
        try printJSON([
            "benchmark": "tokenizer", "words": words, "bytes": text.utf8.count, "tokens": tokens,
            "encode_ms_median": round3(median * 1000), "encode_ms_min": round3(times[0] * 1000),
            "tokens_per_second": Int(Double(tokens) / median),
        ])
    }
}
