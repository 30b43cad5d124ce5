/// Reference encoder and decoder of IQ4_NL and IQ4_XS, written for clarity, not speed (the engine
/// decodes with its own kernels). A value is a scale times one of sixteen fixed int8 levels,
/// denser near zero; IQ4_NL has one f16 scale per 32 values, IQ4_XS one f16 scale per 256 and a
/// 6-bit signed multiplier per 32. Decoding follows ggml's reference dequantizer operation by
/// operation (bit for bit with the `gguf` Python package); encoding searches each 32-block's
/// scale for the least weighted squared error, as llama.cpp's quantizer does, so files written
/// here are realistic test inputs.
enum IQ4Codec {
    /// The levels, in index order.
    static let levels: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    // MARK: Decoding

    /// Sub-block `index`'s multiplier of the IQ4_XS super-block at `base`, in -32...31.
    static func multiplier(_ bytes: UnsafeRawBufferPointer, _ base: Int, _ index: Int) -> Int {
        let low = Int(bytes[base + 4 + index / 2] >> (4 * (index & 1))) & 0x0F
        let high = (Int(bytes[base + 2]) | Int(bytes[base + 3]) << 8) >> (2 * index) & 3
        return (low | high << 4) - 32
    }

    static func decode(_ type: GGUFTensorType, _ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        precondition(type == .iq4_NL || type == .iq4_XS, "\(type) is not an IQ4 type")
        var out = [Float](repeating: 0, count: count)
        let extended = type == .iq4_XS
        for block in 0..<(count / type.blockSize) {
            let b = block * type.bytesPerBlock
            let d = KQuantCodec.half(bytes, b)
            for sub in 0..<(type.blockSize / 32) {
                let dl = extended ? d * Float(multiplier(bytes, b, sub)) : d
                let qs = b + (extended ? 8 + 16 * sub : 2)
                let y = block * type.blockSize + 32 * sub
                for j in 0..<16 {
                    out[y + j] = dl * Float(levels[Int(bytes[qs + j] & 0x0F)])
                    out[y + j + 16] = dl * Float(levels[Int(bytes[qs + j] >> 4)])
                }
            }
        }
        return out
    }

    // MARK: Encoding

    static func encode(_ type: GGUFTensorType, _ values: [Float]) -> [UInt8] {
        precondition(type == .iq4_NL || type == .iq4_XS, "\(type) is not an IQ4 type")
        var out: [UInt8] = []
        out.reserveCapacity(type.byteCount(elements: values.count))
        for start in stride(from: 0, to: values.count, by: type.blockSize) {
            let x = values[start..<start + type.blockSize]
            if type == .iq4_NL { encodeNL(x, into: &out) } else { encodeXS(x, into: &out) }
        }
        return out
    }

    /// The index of the level nearest `v`.
    static func nearestLevel(_ v: Float) -> Int {
        var best = 0
        for i in 1..<levels.count where abs(Float(levels[i]) - v) < abs(Float(levels[best]) - v) { best = i }
        return best
    }

    /// The scale of 32 values that, with each value on its nearest level, leaves the least
    /// squared error weighted by x² (candidates around amax/127, least-squares refit of each).
    static func bestScale(_ x: ArraySlice<Float>) -> Float {
        var extreme: Float = 0
        for v in x where abs(v) > abs(extreme) { extreme = v }
        if abs(extreme) < 1e-15 { return 0 }
        var scale: Float = 0, best: Float = -1
        for step in -7...7 {
            let inverse = (Float(levels[0]) + Float(step)) / extreme
            var sumXL: Float = 0, sumL2: Float = 0
            for v in x {
                let level = Float(levels[nearestLevel(inverse * v)])
                let w = v * v
                sumXL += w * v * level
                sumL2 += w * level * level
            }
            if sumL2 > 0 && sumXL * sumXL / sumL2 > best {
                best = sumXL * sumXL / sumL2
                scale = sumXL / sumL2
            }
        }
        return scale
    }

    /// 16 bytes of level indexes for 32 values at scale `d` (value j low, j + 16 high).
    static func packIndexes(_ x: ArraySlice<Float>, scale d: Float, into out: inout [UInt8]) {
        let inverse: Float = d == 0 ? 0 : 1 / d
        let indexes = x.map { nearestLevel($0 * inverse) }
        for j in 0..<16 { out.append(UInt8(indexes[j]) | UInt8(indexes[j + 16]) << 4) }
    }

    static func encodeNL(_ x: ArraySlice<Float>, into out: inout [UInt8]) {
        let d = Float(Float16(bestScale(x)))
        KQuantCodec.appendHalf(d, to: &out)
        packIndexes(x, scale: d, into: &out)
    }

    static func encodeXS(_ x: ArraySlice<Float>, into out: inout [UInt8]) {
        let base = x.startIndex
        let scales = (0..<8).map { bestScale(x[base + 32 * $0..<base + 32 * $0 + 32]) }
        var extreme: Float = 0
        for s in scales where abs(s) > abs(extreme) { extreme = s }
        // Multipliers in -32...31: the largest scale maps to -32.
        let d = Float(Float16(extreme / -32))
        let inverse: Float = d == 0 ? 0 : 1 / d
        let multipliers = scales.map { max(-32, min(31, Int(($0 * inverse).rounded(.toNearestOrEven)))) }
        KQuantCodec.appendHalf(d, to: &out)
        var high: UInt16 = 0
        for (i, m) in multipliers.enumerated() { high |= UInt16((m + 32) >> 4) << (2 * i) }
        out.append(littleEndian: high)
        for i in stride(from: 0, to: 8, by: 2) {
            out.append(UInt8((multipliers[i] + 32) & 0x0F) | UInt8((multipliers[i + 1] + 32) & 0x0F) << 4)
        }
        for (i, m) in multipliers.enumerated() {
            packIndexes(x[base + 32 * i..<base + 32 * i + 32], scale: d * Float(m), into: &out)
        }
    }
}
