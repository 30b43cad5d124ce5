/// Reference encoders and decoders of the K-quants and the Q5 types, written for clarity, not
/// speed (the engine decodes with its own kernels). Decoding follows ggml's reference
/// dequantizers operation by operation, so it matches them (and the `gguf` Python package) bit
/// for bit; encoding follows the search of llama.cpp's `quantize_row_*_ref` (weighted
/// least-squares scale and minimum per sub-block, then 6-, 8- or 4-bit scales relative to a
/// super-block scale), so files written here resemble the ones people download.
enum KQuantCodec {
    // MARK: Decoding

    static func half(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8))
    }

    /// The 6-bit scale and minimum of sub-block `j` of a Q4_K/Q5_K super-block's 12 bytes.
    static func scaleMin(_ s: UnsafeRawBufferPointer, _ base: Int, _ j: Int) -> (Int, Int) {
        if j < 4 { return (Int(s[base + j] & 63), Int(s[base + j + 4] & 63)) }
        return (Int(s[base + j + 4] & 0x0F) | Int(s[base + j - 4] >> 6) << 4,
                Int(s[base + j + 4] >> 4) | Int(s[base + j] >> 6) << 4)
    }

    /// Scale `i` of a Q3_K super-block's 12 packed bytes, minus 32.
    static func q3Scale(_ s: UnsafeRawBufferPointer, _ base: Int, _ i: Int) -> Int {
        let low = i < 8 ? Int(s[base + i] & 0x0F) : Int(s[base + i - 8] >> 4)
        let high = Int(s[base + 8 + i % 4] >> (2 * (i / 4))) & 3
        return (low | high << 4) - 32
    }

    static func decode(_ type: GGUFTensorType, _ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let size = type.bytesPerBlock
        for block in 0..<(count / type.blockSize) {
            let b = block * size
            let y = block * type.blockSize
            switch type {
            case .q5_0, .q5_1:
                let hasMinimum = type == .q5_1
                let d = half(bytes, b)
                let m: Float = hasMinimum ? half(bytes, b + 2) : 0
                let qhOffset = b + (hasMinimum ? 4 : 2)
                let qh = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[qhOffset + $1]) << (8 * $1) }
                for j in 0..<32 {
                    let nibble = j < 16 ? bytes[qhOffset + 4 + j] & 0x0F : bytes[qhOffset + 4 + j - 16] >> 4
                    let q = Int(nibble) | Int((qh >> j) & 1) << 4
                    if hasMinimum {
                        let scaled = d * Float(q)
                        out[y + j] = scaled + m
                    } else {
                        out[y + j] = d * Float(q - 16)
                    }
                }
            case .q4_K, .q5_K:
                let d = half(bytes, b)
                let dmin = half(bytes, b + 2)
                let five = type == .q5_K
                let qs = b + (five ? 48 : 16)
                for j in 0..<8 {
                    let (sc, m) = scaleMin(bytes, b + 4, j)
                    let dl = d * Float(sc)
                    let ml = dmin * Float(m)
                    for l in 0..<32 {
                        var q = Int(bytes[qs + 32 * (j / 2) + l] >> (4 * (j & 1))) & 0x0F
                        if five { q |= (Int(bytes[b + 16 + l] >> j) & 1) << 4 }
                        let scaled = dl * Float(q)
                        out[y + 32 * j + l] = scaled - ml
                    }
                }
            case .q6_K:
                let d = half(bytes, b + 208)
                for i in 0..<256 {
                    let half128 = i / 128, g = (i % 128) / 32, l = i % 32
                    let qlByte = bytes[b + 64 * half128 + l + 32 * (g & 1)]
                    let low = Int(g < 2 ? qlByte & 0x0F : qlByte >> 4)
                    let high = Int(bytes[b + 128 + 32 * half128 + l] >> (2 * g)) & 3
                    let scale = Int8(bitPattern: bytes[b + 192 + i / 16])
                    let dl = d * Float(scale)
                    out[y + i] = dl * Float((low | high << 4) - 32)
                }
            case .q3_K:
                let d = half(bytes, b + 108)
                for i in 0..<256 {
                    let c = i / 128, j = (i % 128) / 32, l = i % 32
                    let low = Int(bytes[b + 32 + 32 * c + l] >> (2 * j)) & 3
                    let set = (bytes[b + l] >> (4 * c + j)) & 1 == 1
                    let dl = d * Float(q3Scale(bytes, b + 96, i / 16))
                    out[y + i] = dl * Float(low - (set ? 0 : 4))
                }
            case .q2_K:
                let d = half(bytes, b + 80)
                let dmin = half(bytes, b + 82)
                for i in 0..<256 {
                    let c = i / 128, j = (i % 128) / 32, l = i % 32
                    let s = bytes[b + i / 16]
                    let dl = d * Float(s & 0x0F)
                    let ml = dmin * Float(s >> 4)
                    let scaled = dl * Float(Int(bytes[b + 16 + 32 * c + l] >> (2 * j)) & 3)
                    out[y + i] = scaled - ml
                }
            default:
                preconditionFailure("\(type) is not a K-quant or Q5 type")
            }
        }
        return out
    }

    // MARK: Encoding

    static func nearest(_ x: Float) -> Int { Int(x.rounded(.toNearestOrEven)) }

    /// Symmetric scale search (llama.cpp's `make_qx_quants`, weights x²) for values in
    /// [-nmax, nmax-1]; returns the scale (the callers quantize again with the stored scale).
    static func symmetricScale(_ x: ArraySlice<Float>, nmax: Int) -> Float {
        var maxValue: Float = 0, amax: Float = 0
        for v in x where abs(v) > amax {
            amax = abs(v)
            maxValue = v
        }
        if amax < 1e-15 { return 0 }
        func fit(_ iscale: Float) -> (sumlx: Float, suml2: Float) {
            var sumlx: Float = 0, suml2: Float = 0
            for v in x {
                let l = max(-nmax, min(nmax - 1, nearest(iscale * v)))
                let w = v * v
                sumlx += w * v * Float(l)
                suml2 += w * Float(l * l)
            }
            return (sumlx, suml2)
        }
        let first = fit(-Float(nmax) / maxValue)
        var scale = first.suml2 > 0 ? first.sumlx / first.suml2 : 0
        var best = scale * first.sumlx
        for step in -9...9 where step != 0 {
            let trial = fit(-(Float(nmax) + 0.1 * Float(step)) / maxValue)
            if trial.suml2 > 0 && trial.sumlx * trial.sumlx > best * trial.suml2 {
                scale = trial.sumlx / trial.suml2
                best = scale * trial.sumlx
            }
        }
        return scale
    }

    /// Asymmetric scale-and-minimum search (llama.cpp's `make_qkx2_quants`): returns the scale
    /// and the minimum as a non-negative amount subtracted (y ≈ scale·l - minimum).
    static func scaleAndMinimum(
        _ x: ArraySlice<Float>, weights: [Float], nmax: Int, rmin: Float, rdelta: Float, steps: Int, absolute: Bool
    ) -> (scale: Float, minimum: Float) {
        let xs = Array(x)
        var lo = xs.min() ?? 0, hi = xs.max() ?? 0
        var sumW: Float = 0, sumX: Float = 0
        for (v, w) in zip(xs, weights) {
            sumW += w
            sumX += w * v
        }
        if lo > 0 { lo = 0 }
        if hi == lo { return (0, -lo) }
        var iscale = Float(nmax) / (hi - lo)
        var scale = 1 / iscale
        var bestError: Float = 0
        for (v, w) in zip(xs, weights) {
            let l = max(0, min(nmax, nearest(iscale * (v - lo))))
            let diff = scale * Float(l) + lo - v
            bestError += w * (absolute ? abs(diff) : diff * diff)
        }
        var levels = [Int](repeating: 0, count: xs.count)
        for step in 0...steps {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (hi - lo)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for (i, (v, w)) in zip(xs, weights).enumerated() {
                let l = max(0, min(nmax, nearest(iscale * (v - lo))))
                levels[i] = l
                sumL += w * Float(l)
                sumL2 += w * Float(l * l)
                sumXL += w * Float(l) * v
            }
            let det = sumW * sumL2 - sumL * sumL
            guard det > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / det
            var thisMin = (sumL2 * sumX - sumL * sumXL) / det
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for (i, (v, w)) in zip(xs, weights).enumerated() {
                let diff = thisScale * Float(levels[i]) + thisMin - v
                error += w * (absolute ? abs(diff) : diff * diff)
            }
            if error < bestError {
                bestError = error
                scale = thisScale
                lo = thisMin
            }
        }
        return (scale, -lo)
    }

    static func appendHalf(_ value: Float, to out: inout [UInt8]) {
        out.append(littleEndian: Float16(value).bitPattern)
    }

    static func encode(_ type: GGUFTensorType, _ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(type.byteCount(elements: values.count))
        for start in stride(from: 0, to: values.count, by: type.blockSize) {
            let x = Array(values[start..<start + type.blockSize])
            switch type {
            case .q5_0: encodeQ5_0(x, into: &out)
            case .q5_1: encodeQ5_1(x, into: &out)
            case .q4_K, .q5_K: encodeQ4Q5K(x, five: type == .q5_K, into: &out)
            case .q6_K: encodeQ6K(x, into: &out)
            case .q3_K: encodeQ3K(x, into: &out)
            case .q2_K: encodeQ2K(x, into: &out)
            default: preconditionFailure("\(type) is not a K-quant or Q5 type")
            }
        }
        return out
    }

    /// Packs 32 five-bit values: the 4-byte word of fifth bits, then ggml's nibble order.
    static func packFive(_ q: [Int], into out: inout [UInt8]) {
        var qh: UInt32 = 0
        for j in 0..<32 { qh |= UInt32((q[j] >> 4) & 1) << j }
        out.append(littleEndian: qh)
        for j in 0..<16 { out.append(UInt8(q[j] & 0x0F) | UInt8((q[j + 16] & 0x0F) << 4)) }
    }

    static func encodeQ5_0(_ x: [Float], into out: inout [UInt8]) {
        var extreme: Float = 0
        for v in x where abs(v) > abs(extreme) { extreme = v }
        let d = extreme / -16
        let inverse: Float = d == 0 ? 0 : 1 / d
        appendHalf(d, to: &out)
        packFive(x.map { min(31, Int(($0 * inverse + 16.5).rounded(.towardZero))) }, into: &out)
    }

    static func encodeQ5_1(_ x: [Float], into out: inout [UInt8]) {
        let lo = x.min() ?? 0, hi = x.max() ?? 0
        let d = (hi - lo) / 31
        let inverse: Float = d == 0 ? 0 : 1 / d
        appendHalf(d, to: &out)
        appendHalf(lo, to: &out)
        packFive(x.map { min(31, Int((($0 - lo) * inverse + 0.5).rounded(.towardZero))) }, into: &out)
    }

    static func encodeQ4Q5K(_ x: [Float], five: Bool, into out: inout [UInt8]) {
        let nmax = five ? 31 : 15
        var scales = [Float](repeating: 0, count: 8), mins = [Float](repeating: 0, count: 8)
        for j in 0..<8 {
            let sub = x[32 * j..<32 * j + 32]
            let average = (sub.reduce(0) { $0 + $1 * $1 } / 32).squareRoot()
            let weights = sub.map { average + abs($0) }
            (scales[j], mins[j]) = scaleAndMinimum(
                sub, weights: weights, nmax: nmax, rmin: five ? -0.5 : -1, rdelta: 0.1, steps: five ? 15 : 20,
                absolute: false)
        }
        let maxScale = scales.max() ?? 0, maxMin = mins.max() ?? 0
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<8 {
            let ls = UInt8(min(63, nearest(inverseScale * scales[j])))
            let lm = UInt8(min(63, nearest(inverseMin * mins[j])))
            if j < 4 {
                packed[j] = ls
                packed[j + 4] = lm
            } else {
                packed[j + 4] = (ls & 0x0F) | (lm & 0x0F) << 4
                packed[j - 4] |= (ls >> 4) << 6
                packed[j] |= (lm >> 4) << 6
            }
        }
        let d = Float(Float16(maxScale / 63)), dmin = Float(Float16(maxMin / 63))
        appendHalf(maxScale / 63, to: &out)
        appendHalf(maxMin / 63, to: &out)
        out.append(contentsOf: packed)
        var levels = [Int](repeating: 0, count: 256)
        packed.withUnsafeBytes { s in
            for j in 0..<8 {
                let (sc, m) = scaleMin(s, 0, j)
                let dl = d * Float(sc)
                guard dl != 0 else { continue }
                let ml = dmin * Float(m)
                for i in 0..<32 { levels[32 * j + i] = max(0, min(nmax, nearest((x[32 * j + i] + ml) / dl))) }
            }
        }
        if five {
            var qh = [UInt8](repeating: 0, count: 32)
            for i in 0..<256 where levels[i] > 15 { qh[i % 32] |= 1 << (i / 32) }
            out.append(contentsOf: qh)
        }
        for chunk in stride(from: 0, to: 256, by: 64) {
            for l in 0..<32 { out.append(UInt8(levels[chunk + l] & 0x0F) | UInt8(levels[chunk + l + 32] & 0x0F) << 4) }
        }
    }

    static func encodeQ6K(_ x: [Float], into out: inout [UInt8]) {
        var scales = [Float](repeating: 0, count: 16)
        var levels = [Int](repeating: 32, count: 256)
        var maxScale: Float = 0
        for j in 0..<16 {
            scales[j] = symmetricScale(x[16 * j..<16 * j + 16], nmax: 32)
            if abs(scales[j]) > abs(maxScale) { maxScale = scales[j] }
        }
        var intScales = [Int8](repeating: 0, count: 16)
        var d: Float = 0
        if abs(maxScale) >= 1e-15 {
            let iscale = -128 / maxScale
            d = 1 / iscale
            for j in 0..<16 { intScales[j] = Int8(min(127, nearest(iscale * scales[j]))) }
            let dStored = Float(Float16(d))
            for j in 0..<16 {
                let dl = dStored * Float(intScales[j])
                guard dl != 0 else { continue }
                for i in 0..<16 { levels[16 * j + i] = max(-32, min(31, nearest(x[16 * j + i] / dl))) + 32 }
            }
        }
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        for half in 0..<2 {
            let L = Array(levels[128 * half..<128 * half + 128])
            for l in 0..<32 {
                ql[64 * half + l] = UInt8(L[l] & 0x0F) | UInt8(L[l + 64] & 0x0F) << 4
                ql[64 * half + l + 32] = UInt8(L[l + 32] & 0x0F) | UInt8(L[l + 96] & 0x0F) << 4
                qh[32 * half + l] = UInt8(L[l] >> 4) | UInt8(L[l + 32] >> 4) << 2 | UInt8(L[l + 64] >> 4) << 4
                    | UInt8(L[l + 96] >> 4) << 6
            }
        }
        out.append(contentsOf: ql)
        out.append(contentsOf: qh)
        out.append(contentsOf: intScales.map { UInt8(bitPattern: $0) })
        appendHalf(d, to: &out)
    }

    /// 2-bit fields of 256 levels: byte l of chunk c holds levels 128c+l, +32, +64, +96.
    static func packTwoBit(_ levels: [Int], into out: inout [UInt8]) {
        for chunk in stride(from: 0, to: 256, by: 128) {
            for l in 0..<32 {
                var byte = 0
                for k in 0..<4 { byte |= (levels[chunk + 32 * k + l] & 3) << (2 * k) }
                out.append(UInt8(byte))
            }
        }
    }

    static func encodeQ3K(_ x: [Float], into out: inout [UInt8]) {
        var scales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0
        for j in 0..<16 {
            scales[j] = symmetricScale(x[16 * j..<16 * j + 16], nmax: 4)
            if abs(scales[j]) > abs(maxScale) { maxScale = scales[j] }
        }
        var packed = [UInt8](repeating: 0, count: 12)
        var d: Float = 0
        if maxScale != 0 {
            let iscale = -32 / maxScale
            d = 1 / iscale
            for j in 0..<16 {
                let l = UInt8(max(-32, min(31, nearest(iscale * scales[j]))) + 32)
                if j < 8 { packed[j] = l & 0x0F } else { packed[j - 8] |= (l & 0x0F) << 4 }
                packed[j % 4 + 8] |= (l >> 4) << (2 * (j / 4))
            }
        }
        var levels = [Int](repeating: 4, count: 256)
        let dStored = Float(Float16(d))
        packed.withUnsafeBytes { s in
            for j in 0..<16 {
                let dl = dStored * Float(q3Scale(s, 0, j))
                guard dl != 0 else { continue }
                for i in 0..<16 { levels[16 * j + i] = max(-4, min(3, nearest(x[16 * j + i] / dl))) + 4 }
            }
        }
        var hmask = [UInt8](repeating: 0, count: 32)
        for i in 0..<256 where levels[i] > 3 {
            hmask[i % 32] |= 1 << (i / 32)
            levels[i] -= 4
        }
        out.append(contentsOf: hmask)
        packTwoBit(levels, into: &out)
        out.append(contentsOf: packed)
        appendHalf(d, to: &out)
    }

    static func encodeQ2K(_ x: [Float], into out: inout [UInt8]) {
        var scales = [Float](repeating: 0, count: 16), mins = [Float](repeating: 0, count: 16)
        for j in 0..<16 {
            let sub = x[16 * j..<16 * j + 16]
            (scales[j], mins[j]) = scaleAndMinimum(
                sub, weights: sub.map { abs($0) }, nmax: 3, rmin: -0.5, rdelta: 0.1, steps: 15, absolute: true)
        }
        let maxScale = scales.max() ?? 0, maxMin = mins.max() ?? 0
        var packed = [UInt8](repeating: 0, count: 16)
        var d: Float = 0, dmin: Float = 0
        if maxScale > 0 {
            let iscale = 15 / maxScale
            for j in 0..<16 { packed[j] = UInt8(min(15, nearest(iscale * scales[j]))) }
            d = maxScale / 15
        }
        if maxMin > 0 {
            let iscale = 15 / maxMin
            for j in 0..<16 { packed[j] |= UInt8(min(15, nearest(iscale * mins[j]))) << 4 }
            dmin = maxMin / 15
        }
        let dStored = Float(Float16(d)), dminStored = Float(Float16(dmin))
        var levels = [Int](repeating: 0, count: 256)
        for j in 0..<16 {
            let dl = dStored * Float(packed[j] & 0x0F)
            guard dl != 0 else { continue }
            let ml = dminStored * Float(packed[j] >> 4)
            for i in 0..<16 { levels[16 * j + i] = max(0, min(3, nearest((x[16 * j + i] + ml) / dl))) }
        }
        out.append(contentsOf: packed)
        packTwoBit(levels, into: &out)
        appendHalf(d, to: &out)
        appendHalf(dmin, to: &out)
    }
}
