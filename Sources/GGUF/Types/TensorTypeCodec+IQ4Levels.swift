/// What IQ4_NL and IQ4_XS share: a value is a scale times one of sixteen fixed int8 levels,
/// denser near zero, indexed by a nibble in ggml's order. Encoding searches each 32-block's scale
/// for the least weighted squared error, as llama.cpp's quantizer does, so files written here are
/// realistic test inputs.
extension TensorTypeCodec {
    /// The levels, in index order.
    static var iq4Levels: [Int8] { iq4LevelTable }

    /// 32 values at scale `dl` from the 16 bytes of indexes at `offset`.
    static func decodeLevels(
        _ bytes: UnsafeRawBufferPointer, at offset: Int, scale dl: Float, into values: UnsafeMutableBufferPointer<Float>
    ) {
        let levels = iq4Levels
        for j in 0..<16 {
            values[j] = dl * Float(levels[Int(bytes[offset + j] & 0x0F)])
            values[j + 16] = dl * Float(levels[Int(bytes[offset + j] >> 4)])
        }
    }

    /// The index of the level nearest `v`.
    static func nearestLevel(_ v: Float, _ levels: [Int8]) -> Int {
        var best = 0
        for i in 1..<levels.count where abs(Float(levels[i]) - v) < abs(Float(levels[best]) - v) { best = i }
        return best
    }

    /// The scale of 32 values that, with each value on its nearest level, leaves the least
    /// squared error weighted by x² (candidates around amax/127, least-squares refit of each).
    static func bestLevelScale(_ x: ArraySlice<Float>) -> Float {
        let levels = iq4Levels
        var extreme: Float = 0
        for v in x where abs(v) > abs(extreme) { extreme = v }
        if abs(extreme) < 1e-15 { return 0 }
        var scale: Float = 0, best: Float = -1
        for step in -7...7 {
            let inverse = (Float(levels[0]) + Float(step)) / extreme
            var sumXL: Float = 0, sumL2: Float = 0
            for v in x {
                let level = Float(levels[nearestLevel(inverse * v, levels)])
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

    /// Appends 16 bytes of level indexes for 32 values at scale `d`.
    static func packLevels(_ x: ArraySlice<Float>, scale d: Float, into out: inout [UInt8]) {
        let levels = iq4Levels
        let inverse: Float = d == 0 ? 0 : 1 / d
        packNibbles(x.map { nearestLevel($0 * inverse, levels) }, into: &out)
    }
}

private let iq4LevelTable: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]
