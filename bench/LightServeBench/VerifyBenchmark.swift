import ArgumentParser
import Execute
import Foundation
import LightServeCore
import Tokenize

/// What verifying a draft costs: decode steps whose sequences each run their token and `k`
/// drafted tokens (logits at every position, as a verifying row asks), against `k` and the
/// sequences in the step. One stream's step is bound by reading the weights, so a few more rows
/// cost little; each row's arithmetic adds up until, under a large batch, a verified token costs
/// nearly what a decoded one does and speculation stops paying.
///
/// Fitting `t(rows) = c · (W + rows)` to the one-stream steps gives `W`, the rows a step runs for
/// the price of reading the weights once: `--draft-rows-per-weight-read`.
struct VerifyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Decode step time against drafted tokens per sequence (k) and sequences per step.")

    @OptionGroup var model: BenchmarkModel

    @Option(name: .long, parsing: .upToNextOption, help: "Drafted tokens per sequence.")
    var drafts: [Int] = [0, 1, 2, 3, 4, 6, 8, 12, 16]

    @Option(name: .long, parsing: .upToNextOption, help: "Sequences per step.")
    var sequences: [Int] = [1, 2, 4, 8, 16]

    @Option(name: .long, help: "Context before the verified tokens (shared by the sequences).")
    var contextTokens = 256

    @Option(name: .long, help: "Timed steps per shape (the median is reported).")
    var repetitions = 7

    func run() throws {
        let llama = try LanguageModel(path: model.path)
        let tokenizer = try Tokenizer(gguf: llama.file)
        let context = Array(tokenizer.encode(benchmarkText(words: contextTokens)).prefix(contextTokens))
        let widest = (drafts.max() ?? 0) + 1
        let runner = try ModelRunner(
            model: llama, kvSlots: context.count + (sequences.max() ?? 1) * widest, threads: model.threads)
        let prefix = (0..<Int32(context.count)).map { $0 }
        try runner.forward(ForwardBatch([.init(tokens: context, position: 0, slots: prefix, output: .none)])) { _ in }
        let clock = ContinuousClock()
        for count in sequences {
            var milliseconds: [Double] = []
            for k in drafts {
                let batch = ForwardBatch(
                    (0..<count).map { sequence in
                        let own = (0..<widest).map { Int32(context.count + sequence * widest + $0) }
                        return .init(
                            tokens: (0...k).map { context[($0 + sequence) % context.count] }, position: context.count,
                            slots: prefix + own, output: k == 0 ? .logits : .everyToken)
                    })
                var times: [Double] = []
                for _ in 0..<(repetitions + 1) {
                    let start = clock.now
                    try runner.forward(batch) { _ in }
                    times.append((clock.now - start).seconds * 1000)
                }
                milliseconds.append(times.dropFirst().sorted()[repetitions / 2])
            }
            let base = milliseconds[drafts.firstIndex(of: 0) ?? 0]
            var figures: [String: Any] = [
                "benchmark": "verify", "threads": model.threads, "sequences": count, "context_tokens": context.count,
                "drafts": drafts, "step_ms": milliseconds.map(round3),
                "step_cost_vs_decode": milliseconds.map { round3($0 / base) },
            ]
            if let fit = Self.rowsPerWeightRead(drafts.map { count * ($0 + 1) }, milliseconds) {
                figures["rows_per_weight_read"] = round3(fit)
            }
            try printJSON(figures)
        }
    }

    /// `W` of the least-squares line `t = a + b · rows` written as `b · (W + rows)`.
    static func rowsPerWeightRead(_ rows: [Int], _ times: [Double]) -> Double? {
        let n = Double(rows.count)
        guard n >= 2 else { return nil }
        let x = rows.map(Double.init)
        let meanX = x.reduce(0, +) / n, meanT = times.reduce(0, +) / n
        let covariance = zip(x, times).reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanT) }
        let variance = x.reduce(0) { $0 + ($1 - meanX) * ($1 - meanX) }
        guard variance > 0, covariance > 0 else { return nil }
        let slope = covariance / variance
        return (meanT - slope * meanX) / slope
    }
}
