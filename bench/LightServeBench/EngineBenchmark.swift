import ArgumentParser
import Execute
import ExecuteKernels
import Foundation
import GGUF
import LightServeCore
import Tokenize

/// Prefill and decode speed of one sequence, next to the machine's own ceilings measured in the
/// same run: single-threaded sgemm at the model's prefill shape (times the thread count) and
/// memory read bandwidth. The sgemm ceiling is float32's: the AVX-512 kernels' integer GEMM
/// (twice the multiply-adds per instruction) can pass it.
struct EngineBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Prefill (512-token prompt) and decode (128 tokens) tokens/s, with ceilings.")

    @OptionGroup var model: BenchmarkModel

    @Option(name: .long, help: "Prompt tokens to prefill.")
    var promptTokens = 512

    @Option(name: .long, help: "Tokens to decode.")
    var decodeTokens = 128

    @Option(name: .long, help: "Repetitions (the median is reported, the statistic bench/compare sets against llama-bench's).")
    var repetitions = 3

    func run() throws {
        let llama = try LanguageModel(path: model.path)
        let hugePages = ProcessMemory.hugePageBytes.map { $0 >> 20 }
        let tokenizer = try Tokenizer(gguf: llama.file)
        let prompt = Array(tokenizer.encode(benchmarkText(words: promptTokens)).prefix(promptTokens))
        let generator = try Generator(model: llama, capacity: prompt.count + decodeTokens, threads: model.threads)
        _ = try generator.generate(prompt: Array(prompt.prefix(16)), maxNewTokens: 4)  // warm-up

        // Decode from a one-token prompt (as llama-bench's tg test, which starts from an empty
        // context), and decode after the long prompt (attention over 512+ positions).
        var prefills: [Double] = []
        var decodes: [Double] = []
        var decodesAfterPrompt: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let short = try generator.generate(
                prompt: [prompt[0]], maxNewTokens: decodeTokens + 1, sampling: SamplingParameters(ignoreEOS: true))
            decodes.append(short.decodeTokensPerSecond)
            let long = try generator.generate(
                prompt: prompt, maxNewTokens: decodeTokens, sampling: SamplingParameters(ignoreEOS: true))
            prefills.append(long.prefillTokensPerSecond)
            decodesAfterPrompt.append(long.decodeTokensPerSecond)
        }
        let prefill = median(prefills), decode = median(decodes), decodeAfterPrompt = median(decodesAfterPrompt)

        let c = llama.configuration
        let gflops = try Self.sgemmGFLOPS(m: prompt.count, n: c.feedForwardLength, k: c.embeddingLength) * Double(model.threads)
        let flopsPerToken = Self.flopsPerToken(c, context: prompt.count)
        let bandwidth = Self.readBandwidthGBs().best
        let sustained = Self.readBandwidthGBs(mebibytes: 1024, passes: 5).median
        let weightBytes = Double(llama.decodeWeightBytes)
        let prefillCeiling = gflops * 1e9 / flopsPerToken
        let decodeCeiling = bandwidth * 1e9 / weightBytes
        try printJSON([
            "benchmark": "engine", "threads": model.threads, "prompt_tokens": prompt.count, "decode_tokens": decodeTokens,
            "prefill_tok_s": round3(prefill), "decode_tok_s": round3(decode),
            "decode_after_prompt_tok_s": round3(decodeAfterPrompt),
            "baseline_sgemm_gflops": round3(gflops), "baseline_read_gb_s": round3(bandwidth),
            "prefill_ceiling_tok_s": round3(prefillCeiling), "decode_ceiling_tok_s": round3(decodeCeiling),
            "prefill_of_ceiling": round3(prefill / prefillCeiling), "decode_of_ceiling": round3(decode / decodeCeiling),
            "weight_bytes_per_token": Int(weightBytes), "sustained_read_gb_s": round3(sustained),
            "decode_weight_gb_s": round3(decode * weightBytes / 1e9), "repetitions": prefills.count, "statistic": "median",
            "weights_in_huge_pages_mib": hugePages ?? -1,
        ])
    }

    /// Multiply-adds per prompt token: every weight matrix of every layer once (2 FLOPs per
    /// weight) plus attention over half the context on average; the output head runs once per
    /// prompt, so it is left out.
    static func flopsPerToken(_ c: ModelConfiguration, context: Int) -> Double {
        let d = Double(c.embeddingLength), qd = Double(c.queryDimension), kv = Double(c.kvDimension)
        let ff = Double(c.feedForwardLength)
        let perLayer = 2 * (d * qd * 2 + d * kv * 2 + d * ff * 3) + 2 * 2 * Double(context) / 2 * qd
        return perLayer * Double(c.layerCount)
    }

    /// Best of five single-threaded OpenBLAS sgemm calls of `m × n × k`.
    static func sgemmGFLOPS(m: Int, n: Int, k: Int) throws -> Double {
        _ = try OpenBLASLibrary.load()
        let a = [Float](repeating: 0.5, count: m * k)
        let b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<5 {
            let start = clock.now
            ls_blas_sgemm(1, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0, &c, Int32(n))
            best = min(best, (clock.now - start).seconds)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }

    /// Read bandwidth with all cores summing their parts of a `mebibytes` buffer, over `passes`
    /// passes: the best pass (the ceiling's figure, over 256 MiB) and the median one (the sustained
    /// figure, over 1 GiB: more than any cache holds, streamed as decode streams a model's
    /// weights; on the shared Zen 4 the best of three over 256 MiB read 30-61 GB/s within an hour,
    /// the median pass over 1 GiB 30-35 in three runs). The buffer is in huge pages, as the
    /// weights are: in 4 KiB pages the 1.5B's decode read 0.96-0.97 of it; in huge pages 0.91-1.23
    /// of it in 11 rounds of three runs, and 0.60 and 0.65 in two whose read ran at 68.6 and 54.5.
    static func readBandwidthGBs(mebibytes: Int = 256, passes: Int = 3) -> (best: Double, median: Double) {
        let count = mebibytes << 18
        // In huge pages, as the model's packed weights are held.
        let arena = HugePageArena()
        defer { withExtendedLifetime(arena) {} }
        guard let memory = arena.allocate(byteCount: count * 4) else { return (0, 0) }
        let buffer = memory.initializeMemory(as: Float.self, repeating: 1, count: count)
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let address = UInt(bitPattern: buffer)  // a plain number crosses into the worker closures
        let clock = ContinuousClock()
        var seconds: [Double] = []
        for _ in 0..<max(1, passes) {
            let start = clock.now
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let chunk = count / threads
                var sums = SIMD16<Float>()
                let base = UnsafeRawPointer(bitPattern: address)! + t * chunk * 4
                for i in stride(from: 0, to: chunk, by: 16) {
                    sums += base.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                }
                blackHole(sums.sum())
            }
            seconds.append((clock.now - start).seconds)
        }
        let bytes = Double(count * 4)
        return (bytes / seconds.min()! / 1e9, bytes / median(seconds) / 1e9)
    }
}

@inline(never) func blackHole(_ x: Float) {
    if x == .infinity { print("") }
}
