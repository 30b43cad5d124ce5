import ArgumentParser
import Execute
import ExecuteKernels
import Foundation
import GGUF
import LightServeCore

/// The model's matrix products at decode and prefill batch sizes, on both kernel paths, as
/// effective weight bandwidth and GFLOP/s; the in-run baseline is plain memory read bandwidth.
struct KernelBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels", abstract: "Matrix-product kernels of one layer plus the output head, per path and batch size.")

    @OptionGroup var model: BenchmarkModel

    @Option(name: .long, parsing: .upToNextOption, help: "Input row counts to time.")
    var rows: [Int] = [1, 2, 4, 8, 16, 32, 64, 512]

    @Option(name: .long, help: "Float32 weights dequantized per sgemm call (the tile size).")
    var tileFloats: Int?

    @Option(name: .long, parsing: .upToNextOption,
            help: "Weight types to time on a synthetic layer (e.g. Q4_K Q6_K Q5_0), instead of the model's layer.")
    var types: [String] = []

    @Option(name: .long, help: "Width of the synthetic layer (--types).")
    var embedding = 1024

    @Option(name: .long, help: "Feed-forward width of the synthetic layer (--types).")
    var feedForward = 2816

    func run() throws {
        if !types.isEmpty {
            let parsed = try types.map { name in
                guard let type = GGUFTensorType.allCases.first(where: { $0.description.lowercased() == name.lowercased() }),
                    type.blockSize > 1
                else { throw ValidationError("unknown or unquantized type '\(name)'") }
                return type
            }
            if let tileFloats { ls_set_sgemm_tile_floats(Int32(tileFloats)) }
            let figures = TypeKernelFigures(embedding: embedding, feedForward: feedForward, threads: model.threads)
            return try figures.run(types: parsed, rows: rows)
        }
        let file = try GGUFFile(path: model.path)
        let names = ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight", "blk.0.attn_output.weight",
                     "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight", "token_embd.weight"]
        let tensors = try names.map { try file.requireTensor($0) }
        // OpenBLAS on the core type LightServe chooses, as the server runs it: a bare runtime
        // would load it with OpenBLAS's own choice (Cooperlake here even with AVX-512 disabled).
        _ = try OpenBLASLibrary.load()
        var error: Int32 = 0
        guard let runtime = ls_runtime_create(Int32(model.threads), KernelSet.preferred.code, &error) else {
            throw ExecuteError.computeThreads("errno \(error)")
        }
        defer { ls_runtime_destroy(runtime) }
        let bandwidth = EngineBenchmark.readBandwidthGBs().best
        if let tileFloats { ls_set_sgemm_tile_floats(Int32(tileFloats)) }
        let savedThreshold = ls_quantized_max_rows()
        defer { ls_set_quantized_max_rows(savedThreshold) }

        // The layer's matrices and the head as the model holds them (packed where the kernels have
        // a layout for their type, in huge pages), and as the file has them.
        let arena = HugePageArena()
        defer { withExtendedLifetime(arena) {} }
        let packed = tensors.map { tensor -> (type: Int32, bytes: UnsafeMutableRawPointer)? in
            let type = ls_packed_type(Int32(tensor.type.rawValue), Int32(tensor.rowCount), Int32(tensor.rowLength))
            guard type >= 0, let bytes = arena.allocate(byteCount: tensor.byteCount) else { return nil }
            ls_pack(type, file.bytes(of: tensor).baseAddress, Int32(tensor.rowCount), Int32(tensor.rowLength), bytes)
            return (type, bytes)
        }
        let layouts = packed.contains { $0 != nil } ? ["packed", "file"] : ["file"]

        for m in rows {
            // The many-row path: the integer GEMM for quantized weights, dequantize + sgemm for float ones.
            for path in ["fused", "gemm"] {
                for layout in layouts {
                    ls_set_quantized_max_rows(path == "fused" ? Int32.max : 0)
                    var layerSeconds = 0.0
                    var layerBytes = 0
                    var layerFlops = 0.0
                    var headSeconds = 0.0
                    for (tensor, copy) in zip(tensors, packed) {
                        let k = tensor.rowLength, n = tensor.rowCount
                        let x = [Float]((0..<(m * k)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 })
                        var out = [Float](repeating: 0, count: m * n)
                        let held = layout == "packed" ? copy : nil
                        let base = held.map { UnsafeRawPointer($0.bytes) } ?? file.bytes(of: tensor).baseAddress!
                        let seconds = out.withUnsafeMutableBufferPointer { o -> Double in
                            var op = ls_matmul_op(
                                weights: base, type: held?.type ?? Int32(tensor.type.rawValue), rows: Int32(n), cols: Int32(k),
                                row_bytes: tensor.rowByteCount, out: o.baseAddress, ldo: Int32(n), accumulate: 0)
                            return Self.best(repetitions: m >= 64 ? 3 : 20) { ls_matmul(runtime, x, Int32(m), Int32(k), &op, 1) }
                        }
                        if tensor.name == "token_embd.weight" {
                            headSeconds = seconds
                        } else {
                            layerSeconds += seconds
                            layerBytes += tensor.byteCount
                            layerFlops += 2 * Double(m * k * n)
                        }
                    }
                    try printJSON([
                        "benchmark": "kernels", "rows": m, "path": path, "layout": layout, "threads": model.threads,
                        "layer_ms": round3(layerSeconds * 1000), "head_ms": round3(headSeconds * 1000),
                        "layer_weight_gb_s": round3(Double(layerBytes) / layerSeconds / 1e9),
                        "layer_gflops": round3(layerFlops / layerSeconds / 1e9),
                        "baseline_read_gb_s": round3(bandwidth),
                    ])
                }
            }
        }
    }

    static func best(repetitions: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        body()
        var best = Double.infinity
        for _ in 0..<repetitions {
            let start = clock.now
            body()
            best = min(best, (clock.now - start).seconds)
        }
        return best
    }
}
