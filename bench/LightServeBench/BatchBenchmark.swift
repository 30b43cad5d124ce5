import ArgumentParser
import Execute
import Foundation
import GGUF
import LightServeCore
import Tokenize

/// Decode steps with many sequences in the batch, the shape a loaded server runs: every
/// sequence's prompt in its own run of slots, its generated tokens in slots interleaved with the
/// others' (as the scheduler hands them out one step at a time).
struct BatchBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch", abstract: "Decode tokens/s and step time with many sequences per step.")

    @OptionGroup var model: BenchmarkModel

    @Option(name: .long, parsing: .upToNextOption, help: "Sequences per decode step.")
    var sequences: [Int] = [8, 32]

    @Option(name: .long, help: "Prompt tokens per sequence.")
    var promptTokens = 128

    @Option(name: .long, help: "Decode steps to time.")
    var steps = 32

    func run() throws {
        let llama = try LanguageModel(path: model.path)
        let tokenizer = try Tokenizer(gguf: llama.file)
        let prompt = Array(tokenizer.encode(benchmarkText(words: promptTokens)).prefix(promptTokens))
        for count in sequences {
            let runner = try ModelRunner(model: llama, kvSlots: count * (prompt.count + steps + 1), threads: model.threads)
            let promptSlots = count * prompt.count
            func slots(_ sequence: Int, length: Int) -> [Int32] {
                (0..<length).map { p in
                    Int32(p < prompt.count ? sequence * prompt.count + p : promptSlots + (p - prompt.count) * count + sequence)
                }
            }
            for sequence in 0..<count {
                let batch = ForwardBatch([
                    .init(tokens: prompt, position: 0, slots: slots(sequence, length: prompt.count), output: .none)
                ])
                try runner.forward(batch) { _ in }
            }
            let clock = ContinuousClock()
            let start = clock.now
            for step in 0..<steps {
                let position = prompt.count + step
                let batch = ForwardBatch(
                    (0..<count).map { sequence in
                        .init(
                            tokens: [prompt[(step + sequence) % prompt.count]], position: position,
                            slots: slots(sequence, length: position + 1))
                    })
                try runner.forward(batch) { _ in }
            }
            let seconds = (clock.now - start).seconds
            try printJSON([
                "benchmark": "batch", "threads": model.threads, "sequences": count, "prompt_tokens": prompt.count,
                "steps": steps, "step_ms": round3(seconds * 1000 / Double(steps)),
                "decode_tok_s": round3(Double(count * steps) / seconds),
            ])
        }
    }
}
