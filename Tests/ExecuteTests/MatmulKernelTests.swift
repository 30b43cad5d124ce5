import ExecuteKernels
import GGUF
import Testing

@testable import Execute

/// `ls_matmul` on every weight type and on the row counts that pick each of its paths (fused
/// up to 4 rows, widened weights up to 8 in the AVX-512 build and 6 in the AVX2 one, beyond that
/// the integer GEMM for quantized weights in groups of 16 or 8 rows, sgemm for float ones),
/// against a double-precision dot product of the decoded weights, in every kernel build this
/// processor runs.
@Suite struct MatmulKernelTests {
    /// Every type with blocks of at most 32 values (the float types' are 1), then the 256-value ones.
    static let types = GGUFTensorType.allCases.filter { $0.blockSize <= 32 }
    static let kQuants = GGUFTensorType.allCases.filter { $0.blockSize == 256 }

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
    @Test(arguments: types.filter { $0.blockSize > 1 } + kQuants, [1, 33, 64])
    func testExtremeBlocksSumWithoutOverflow(_ type: GGUFTensorType, rows m: Int) throws {
        let k = 512, n = 37
        let sign = Self.values(n * k, seed: 5).map { $0 < 0 ? Float(-1) : Float(1) }
        let x = (0..<m * k).map { sign[$0 % k] * 3 }
        for kernels in KernelSet.runnable {
            try Self.check(type, weights: sign, activations: x, rows: m, columns: k, outputs: n, kernels: kernels)
        }
    }

    static let packedTypes: [GGUFTensorType] = [.q4_1, .q5_0, .q8_0, .q4_K, .q5_K, .q6_K, .iq4_NL, .iq4_XS]

    /// Weights packed 16 rows to a group (the layout a model's layer projections and output head
    /// are held in), on every path of the product: the packed kernel, four activation rows per
    /// pass, up to 32 rows (AVX-512) or 16 (AVX2); rows widened out of their groups for the GEMM
    /// beyond. 96 columns for 32-value blocks: an odd block count, the last block in a pair of its
    /// own; two super-blocks for the K-quants, so every sub-block position and the step to the
    /// next super-block are exercised.
    @Test(arguments: packedTypes, [1, 2, 3, 4, 5, 7, 9, 16, 17, 33, 65])
    func testPackedProductMatchesDecodedWeights(_ type: GGUFTensorType, rows m: Int) throws {
        let k = type.blockSize == 256 ? 512 : 96
        for kernels in KernelSet.runnable {
            try Self.check(type, weights: Self.values(48 * k, seed: 7), activations: Self.values(m * k, seed: 11),
                           rows: m, columns: k, outputs: 48, kernels: kernels, packed: true)
        }
    }

    /// Packed weights at their type's extremes against full-scale activations: no integer sum
    /// overflows, on the packed kernel and on the GEMM (65 rows in either build), whose Q4_K sums
    /// run across a super-block in the AVX-512 build.
    @Test(arguments: packedTypes, [1, 4, 33, 65])
    func testPackedExtremeBlocksSumWithoutOverflow(_ type: GGUFTensorType, rows m: Int) throws {
        let k = 512, n = 32
        let sign = Self.values(n * k, seed: 5).map { $0 < 0 ? Float(-1) : Float(1) }
        let x = (0..<m * k).map { sign[$0 % k] * 3 }
        for kernels in KernelSet.runnable {
            try Self.check(type, weights: sign, activations: x, rows: m, columns: k, outputs: n, kernels: kernels,
                           packed: true)
        }
    }

    /// A row's product is the same bits whatever else it is batched with on the packed kernel:
    /// alone (one-row decode) or among a few (verify steps and decode batches, at every pass width,
    /// up to 16 rows, which both builds keep on it). Speculation's outputs equal plain decoding's
    /// only because of this. The GEMM (prefill) rounds Q4_K's and Q6_K's activations otherwise.
    @Test(arguments: packedTypes)
    func testPackedProductOfARowIsTheSameInEveryBatchOfTheFusedPath(_ type: GGUFTensorType) throws {
        let k = 512, n = 48
        let weights = type.encode(Self.values(n * k, seed: 7))
        let kernelType = ls_packed_type(Int32(type.rawValue), Int32(n), Int32(k))
        try #require(kernelType >= 0)
        var packed = weights
        weights.withUnsafeBytes { s in packed.withUnsafeMutableBytes { ls_pack(kernelType, s.baseAddress, Int32(n), Int32(k), $0.baseAddress) } }
        let x = Self.values(16 * k, seed: 13).map { $0 * 3 }
        for kernels in KernelSet.runnable {
            let runtime = try ComputeRuntime(threads: 2, kernels: kernels)
            func product(rows: ArraySlice<Float>) -> [Float] {
                let m = rows.count / k
                var out = [Float](repeating: 0, count: m * n)
                packed.withUnsafeBytes { w in
                    rows.withUnsafeBufferPointer { a in
                        out.withUnsafeMutableBufferPointer { o in
                            var op = ls_matmul_op(weights: w.baseAddress, type: kernelType, rows: Int32(n), cols: Int32(k),
                                                  row_bytes: weights.count / n, out: o.baseAddress, ldo: Int32(n), accumulate: 0)
                            ls_matmul(runtime.handle, a.baseAddress, Int32(m), Int32(k), &op, 1)
                        }
                    }
                }
                return out
            }
            let alone = product(rows: x[0..<k])
            for m in [2, 3, 8, 9, 16] {
                let batched = product(rows: x[0..<m * k])
                #expect(Array(batched[0..<n]) == alone, "\(type) first row among \(m) (\(kernels))")
                let last = product(rows: x[(m - 1) * k..<m * k])
                #expect(Array(batched[(m - 1) * n..<m * n]) == last, "\(type) last row among \(m) (\(kernels))")
            }
        }
    }

    /// A packed product after one whose rows are not a whole number of groups, in one call: the
    /// work split keeps every packed group whole, and each product's outputs land in its own rows.
    @Test(arguments: [1, 3, 7])
    func testPackedProductAfterAnUnevenOneLandsInItsOutputs(rows m: Int) throws {
        let k = 64, uneven = 37, packedRows = 64
        let first = GGUFTensorType.q8_0.encode(Self.values(uneven * k, seed: 2))
        let second = GGUFTensorType.q4_1.encode(Self.values(packedRows * k, seed: 4))
        let packedType = ls_packed_type(Int32(GGUFTensorType.q4_1.rawValue), Int32(packedRows), Int32(k))
        try #require(packedType >= 0)
        var packed = [UInt8](repeating: 0, count: second.count)
        second.withUnsafeBytes { s in packed.withUnsafeMutableBytes { ls_pack(packedType, s.baseAddress, Int32(packedRows), Int32(k), $0.baseAddress) } }
        let x = Self.values(m * k, seed: 6)
        for kernels in KernelSet.runnable {
            var out1 = [Float](repeating: 0, count: m * uneven), out2 = [Float](repeating: 0, count: m * packedRows)
            let runtime = try ComputeRuntime(threads: 2, kernels: kernels)
            first.withUnsafeBytes { w1 in
                packed.withUnsafeBytes { w2 in
                    out1.withUnsafeMutableBufferPointer { o1 in
                        out2.withUnsafeMutableBufferPointer { o2 in
                            let ops = [
                                ls_matmul_op(weights: w1.baseAddress, type: Int32(GGUFTensorType.q8_0.rawValue),
                                             rows: Int32(uneven), cols: Int32(k), row_bytes: first.count / uneven,
                                             out: o1.baseAddress, ldo: Int32(uneven), accumulate: 0),
                                ls_matmul_op(weights: w2.baseAddress, type: packedType, rows: Int32(packedRows),
                                             cols: Int32(k), row_bytes: second.count / packedRows, out: o2.baseAddress,
                                             ldo: Int32(packedRows), accumulate: 0),
                            ]
                            ls_matmul(runtime.handle, x, Int32(m), Int32(k), ops, 2)
                        }
                    }
                }
            }
            let expected1 = try Self.reference(.q8_0, first, x, rows: m, columns: k, outputs: uneven)
            let expected2 = try Self.reference(.q4_1, second, x, rows: m, columns: k, outputs: packedRows)
            #expect(Self.worstError(out1, expected1) < 1e-4, "first product (\(kernels))")
            #expect(Self.worstError(out2, expected2) < 1e-4, "packed product (\(kernels))")
        }
    }

    /// Exact products of decoded weights (`outputs` rows of `columns`) with `x` (`rows` rows), and
    /// each one's sum of magnitudes.
    static func reference(_ type: GGUFTensorType, _ weights: [UInt8], _ x: [Float], rows m: Int, columns k: Int,
                          outputs n: Int) throws -> [(value: Double, magnitude: Double)] {
        let decoded = weights.withUnsafeBytes { type.decode($0, count: n * k) }
        return (0..<m * n).map { i in
            let r = i / n, j = i % n
            var value = 0.0, magnitude = 0.0
            for c in 0..<k {
                value += Double(decoded[j * k + c]) * Double(x[r * k + c])
                magnitude += abs(Double(decoded[j * k + c]) * Double(x[r * k + c]))
            }
            return (value, magnitude)
        }
    }

    /// The largest error relative to its terms' magnitude.
    static func worstError(_ out: [Float], _ expected: [(value: Double, magnitude: Double)]) -> Double {
        zip(out, expected).map { abs(Double($0) - $1.value) / $1.magnitude }.max() ?? 0
    }

    static func check(_ type: GGUFTensorType, rows m: Int, columns k: Int) throws {
        for kernels in KernelSet.runnable { try check(type, rows: m, columns: k, kernels: kernels) }
    }

    static func check(_ type: GGUFTensorType, rows m: Int, columns k: Int, kernels: KernelSet) throws {
        let n = 37
        try check(type, weights: Self.values(n * k, seed: 7), activations: Self.values(m * k, seed: 11).map { $0 * 3 },
                  rows: m, columns: k, outputs: n, kernels: kernels)
    }

    /// `out (+)= x · Wᵀ` through ls_matmul, against the exact product of the decoded weights; with
    /// `packed`, the weights repacked into the kernels' packed layout first.
    static func check(_ type: GGUFTensorType, weights values: [Float], activations x: [Float], rows m: Int,
                      columns k: Int, outputs n: Int, kernels: KernelSet, packed: Bool = false) throws {
        let weights = type.encode(values)
        var kernelWeights = weights, kernelType = Int32(type.rawValue)
        if packed {
            kernelType = ls_packed_type(kernelType, Int32(n), Int32(k))
            try #require(kernelType >= 0, "no packed layout for \(type)")
            weights.withUnsafeBytes { s in
                kernelWeights.withUnsafeMutableBytes { ls_pack(kernelType, s.baseAddress, Int32(n), Int32(k), $0.baseAddress) }
            }
            #expect(kernelWeights != weights)
        }
        var out = [Float](repeating: 1, count: m * n)  // accumulated onto
        let runtime = try ComputeRuntime(threads: 2, kernels: kernels)
        kernelWeights.withUnsafeBytes { w in
            out.withUnsafeMutableBufferPointer { o in
                var op = ls_matmul_op(
                    weights: w.baseAddress, type: kernelType, rows: Int32(n), cols: Int32(k),
                    row_bytes: weights.count / n, out: o.baseAddress, ldo: Int32(n), accumulate: 1)
                ls_matmul(runtime.handle, x, Int32(m), Int32(k), &op, 1)
            }
        }
        let expected = try reference(type, weights, x, rows: m, columns: k, outputs: n).map { ($0.value + 1, $0.magnitude) }
        let worst = worstError(out, expected)
        // 16-bit activations: a few parts in a hundred thousand of the terms' magnitude.
        #expect(worst < 1e-4, "\(type)\(packed ? " packed" : "") × \(m) rows (\(kernels)): relative error \(worst)")
    }
}
