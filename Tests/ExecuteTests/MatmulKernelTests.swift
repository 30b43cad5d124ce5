import Execute
import ExecuteKernels
import GGUF
import Testing

/// `ls_matmul` on every weight type and on the row counts that pick each of its paths (fused
/// up to 4 rows, widened weights up to 8 in the AVX-512 build and 6 in the AVX2 one, beyond that
/// the integer GEMM for quantized weights in groups of 16 or 8 rows, sgemm for float ones),
/// against a double-precision dot product of the decoded weights, in every kernel build this
/// processor runs.
@Suite struct MatmulKernelTests {
    static let types: [GGUFTensorType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_NL, .f16, .bf16, .f32]
    static let kQuants: [GGUFTensorType] = [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_XS]

    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 1_000_000) / 1_000_000
        }
    }

    @Test(arguments: types, [1, 2, 3, 4, 5, 7, 16, 17, 33])
    func testProductMatchesDecodedWeights(_ type: GGUFTensorType, rows m: Int) throws {
        // 96 columns: three 32-blocks, an odd count; 37 outputs: not a multiple of any chunk.
        try Self.check(type, rows: m, columns: 96)
    }

    /// K-quant (and IQ4_XS) rows are whole 256-value super-blocks: two here, so every pair position in a
    /// super-block and the step to the next one are exercised.
    @Test(arguments: kQuants, [1, 2, 3, 4, 5, 7, 16, 17, 33])
    func testKQuantProductMatchesDecodedWeights(_ type: GGUFTensorType, rows m: Int) throws {
        try Self.check(type, rows: m, columns: 512)
    }

    /// More weight rows than one work item of the GEMM takes (48) and activation rows in three
    /// groups of 16 (the last one partial): every output lands in its own row and column.
    @Test(arguments: [GGUFTensorType.q4_1, .q8_0, .q6_K])
    func testManyWorkItemsAndRowGroupsLandInTheirOutputs(_ type: GGUFTensorType) throws {
        let k = type == .q6_K ? 256 : 96, n = 100, m = 40
        for kernels in KernelSet.runnable {
            try Self.check(type, weights: Self.values(n * k, seed: 3), activations: Self.values(m * k, seed: 9),
                           rows: m, columns: k, outputs: n, kernels: kernels)
        }
    }

    /// Weights all at a type's extreme against activations all at full scale with matching signs:
    /// every product of a 32-block has the largest magnitude and the same sign, the case that
    /// overflows 32-bit integer sums if the activations' range is not fitted to the weights'.
    @Test(arguments: types.filter { ![.f16, .bf16, .f32].contains($0) } + kQuants, [1, 33, 64])
    func testExtremeBlocksSumWithoutOverflow(_ type: GGUFTensorType, rows m: Int) throws {
        let k = 512, n = 37
        let sign = Self.values(n * k, seed: 5).map { $0 < 0 ? Float(-1) : Float(1) }
        let x = (0..<m * k).map { sign[$0 % k] * 3 }
        for kernels in KernelSet.runnable {
            try Self.check(type, weights: sign, activations: x, rows: m, columns: k, outputs: n, kernels: kernels)
        }
    }

    static func check(_ type: GGUFTensorType, rows m: Int, columns k: Int) throws {
        for kernels in KernelSet.runnable { try check(type, rows: m, columns: k, kernels: kernels) }
    }

    static func check(_ type: GGUFTensorType, rows m: Int, columns k: Int, kernels: KernelSet) throws {
        let n = 37
        try check(type, weights: Self.values(n * k, seed: 7), activations: Self.values(m * k, seed: 11).map { $0 * 3 },
                  rows: m, columns: k, outputs: n, kernels: kernels)
    }

    static func check(_ type: GGUFTensorType, weights values: [Float], activations x: [Float], rows m: Int,
                      columns k: Int, outputs n: Int, kernels: KernelSet) throws {
        let weights = type.encode(values)
        let decoded = weights.withUnsafeBytes { type.decode($0, count: n * k) }
        var out = [Float](repeating: 1, count: m * n)  // accumulated onto
        var error: Int32 = 0
        let runtime = try #require(ls_runtime_create(2, kernels.code, &error))
        defer { ls_runtime_destroy(runtime) }
        weights.withUnsafeBytes { w in
            out.withUnsafeMutableBufferPointer { o in
                var op = ls_matmul_op(
                    weights: w.baseAddress, type: Int32(type.rawValue), rows: Int32(n), cols: Int32(k),
                    row_bytes: weights.count / n, out: o.baseAddress, ldo: Int32(n), accumulate: 1)
                ls_matmul(runtime, x, Int32(m), Int32(k), &op, 1)
            }
        }
        var worst = 0.0
        for r in 0..<m {
            for j in 0..<n {
                var exact = 1.0, magnitude = 0.0
                for c in 0..<k {
                    exact += Double(decoded[j * k + c]) * Double(x[r * k + c])
                    magnitude += abs(Double(decoded[j * k + c]) * Double(x[r * k + c]))
                }
                worst = max(worst, abs(Double(out[r * n + j]) - exact) / magnitude)
            }
        }
        // 16-bit activations: a few parts in a hundred thousand of the terms' magnitude.
        #expect(worst < 1e-4, "\(type) × \(m) rows (\(kernels)): relative error \(worst)")
    }
}
