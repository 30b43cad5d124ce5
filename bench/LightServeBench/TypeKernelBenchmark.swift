import Execute
import ExecuteKernels
import Foundation
import GGUF

/// Per-type figures for `bench/run kernels --types ...`: one synthetic layer (q, k, v, o, gate,
/// up, down at `embedding` × `feedForward`, every row a whole number of 256-value super-blocks)
/// in each weight type, timed at each row count with the engine's own path choice. Enough copies
/// of the layer are cycled through that the weights come from memory, not cache, so the figures
/// compare with the read-bandwidth baseline measured in the same run; the sgemm ceiling is the
/// layer's FLOPs at the machine's sgemm peak (single-threaded `cblas_sgemm` on 256 rows, times
/// the thread count), which no row count can beat.
struct TypeKernelFigures {
    let embedding: Int
    let feedForward: Int
    let threads: Int

    var shapes: [(rows: Int, cols: Int)] {
        let kv = embedding / 4
        return [(embedding, embedding), (kv, embedding), (kv, embedding), (embedding, embedding),
                (feedForward, embedding), (feedForward, embedding), (embedding, feedForward)]
    }

    func run(types: [GGUFTensorType], rows: [Int]) throws {
        let bandwidth = EngineBenchmark.readBandwidthGBs().best
        // OpenBLAS on the core type LightServe chooses, as the server runs it: a bare runtime
        // would load it with OpenBLAS's own choice (Cooperlake here even with AVX-512 disabled).
        _ = try OpenBLASLibrary.load()
        var error: Int32 = 0
        guard let runtime = ls_runtime_create(Int32(threads), KernelSet.preferred.code, &error) else {
            throw ExecuteError.computeThreads("errno \(error)")
        }
        defer { ls_runtime_destroy(runtime) }
        let layerFlopsPerRow = shapes.reduce(0.0) { $0 + 2 * Double($1.rows * $1.cols) }
        let sgemmGFLOPS = try EngineBenchmark.sgemmGFLOPS(m: 256, n: feedForward, k: embedding) * Double(threads)
        for type in types {
            let layerBytes = shapes.reduce(0) { $0 + type.byteCount(elements: $1.rows * $1.cols) }
            let copies = max(2, (96 << 20) / layerBytes)
            let weights = Self.randomWeights(type: type, bytes: layerBytes * copies)
            defer { weights.deallocate() }
            let maxCols = max(embedding, feedForward), maxRows = rows.max() ?? 1
            let x = [Float]((0..<(maxRows * maxCols)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 })
            var out = [Float](repeating: 0, count: maxRows * max(embedding, feedForward))
            for m in rows {
                let seconds = out.withUnsafeMutableBufferPointer { o -> Double in
                    KernelBenchmark.best(repetitions: m >= 64 ? 2 : 5) {
                        var offset = 0
                        for _ in 0..<copies {
                            for shape in shapes {
                                let bytes = type.byteCount(elements: shape.rows * shape.cols)
                                var op = ls_matmul_op(
                                    weights: UnsafeRawPointer(weights.baseAddress! + offset), type: Int32(type.rawValue),
                                    rows: Int32(shape.rows), cols: Int32(shape.cols), row_bytes: bytes / shape.rows,
                                    out: o.baseAddress, ldo: Int32(shape.rows), accumulate: 0)
                                ls_matmul(runtime, x, Int32(m), Int32(shape.cols), &op, 1)
                                offset += bytes
                            }
                        }
                    } / Double(copies)
                }
                let bandwidthMs = Double(layerBytes) / (bandwidth * 1e9) * 1000
                let sgemmMs = layerFlopsPerRow * Double(m) / (sgemmGFLOPS * 1e9) * 1000
                try printJSON([
                    "benchmark": "kernels", "type": type.description, "rows": m, "threads": threads,
                    "embedding": embedding, "feed_forward": feedForward, "layer_bytes": layerBytes,
                    "layer_ms": round3(seconds * 1000), "bandwidth_ceiling_ms": round3(bandwidthMs),
                    "sgemm_ceiling_ms": round3(sgemmMs), "of_bandwidth_ceiling": round3(bandwidthMs / (seconds * 1000)),
                    "of_best_ceiling": round3(max(bandwidthMs, sgemmMs) / (seconds * 1000)),
                    "baseline_read_gb_s": round3(bandwidth), "baseline_sgemm_gflops": round3(sgemmGFLOPS),
                ])
            }
        }
    }

    /// Random block bytes whose f16 scales are small finite values.
    static func randomWeights(type: GGUFTensorType, bytes: Int) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let words = buffer.bindMemory(to: UInt64.self)
        for i in 0..<words.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            words[i] = state
        }
        let raw = UnsafeMutableRawBufferPointer(words)
        let scale = Float16(0.01).bitPattern
        for block in stride(from: 0, to: bytes - type.bytesPerBlock + 1, by: type.bytesPerBlock) {
            for offset in type.scaleOffsets {
                raw[block + offset] = UInt8(scale & 0xFF)
                raw[block + offset + 1] = UInt8(scale >> 8)
            }
        }
        return raw
    }
}
