/// Q2_K: super-blocks of 256 2-bit values in sixteen sub-blocks of 16, each with a 4-bit scale
/// and a 4-bit minimum relative to the f16 d and dmin stored last: y = d·sc·q - dmin·m.
enum Q2_K: TensorTypeCodec {
    static let code: UInt32 = 10
    static let name = "Q2_K"
    static let blockSize = 256
    static let bytesPerBlock = 84  // 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit values, f16 d, f16 dmin
    static let scaleOffsets = [80, 82]

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 80)
        let dmin = half(bytes, 82)
        for i in 0..<256 {
            let c = i / 128, j = (i % 128) / 32, l = i % 32
            let s = bytes[i / 16]
            let dl = d * Float(s & 0x0F)
            let ml = dmin * Float(s >> 4)
            let scaled = dl * Float(Int(bytes[16 + 32 * c + l] >> (2 * j)) & 3)
            values[i] = scaled - ml
        }
    }

    static func encode(block: ArraySlice<Float>, into out: inout [UInt8]) {
        let x = Array(block)
        var scales = [Float](repeating: 0, count: 16), mins = [Float](repeating: 0, count: 16)
        for j in 0..<16 {
            let sub = x[16 * j..<16 * j + 16]
            (scales[j], mins[j]) = KQuantSearch.scaleAndMinimum(
                sub, weights: sub.map { abs($0) }, nmax: 3, rmin: -0.5, rdelta: 0.1, steps: 15, absolute: true)
        }
        let maxScale = scales.max() ?? 0, maxMin = mins.max() ?? 0
        var packed = [UInt8](repeating: 0, count: 16)
        var d: Float = 0, dmin: Float = 0
        if maxScale > 0 {
            let iscale = 15 / maxScale
            for j in 0..<16 { packed[j] = UInt8(min(15, KQuantSearch.nearest(iscale * scales[j]))) }
            d = maxScale / 15
        }
        if maxMin > 0 {
            let iscale = 15 / maxMin
            for j in 0..<16 { packed[j] |= UInt8(min(15, KQuantSearch.nearest(iscale * mins[j]))) << 4 }
            dmin = maxMin / 15
        }
        let dStored = Float(Float16(d)), dminStored = Float(Float16(dmin))
        var levels = [Int](repeating: 0, count: 256)
        for j in 0..<16 {
            let dl = dStored * Float(packed[j] & 0x0F)
            guard dl != 0 else { continue }
            let ml = dminStored * Float(packed[j] >> 4)
            for i in 0..<16 { levels[16 * j + i] = max(0, min(3, KQuantSearch.nearest((x[16 * j + i] + ml) / dl))) }
        }
        out.append(contentsOf: packed)
        KQuantSearch.packTwoBit(levels, into: &out)
        appendHalf(d, to: &out)
        appendHalf(dmin, to: &out)
    }
}

extension GGUFTensorType {
    /// Q2_K (its codec above).
    public static let q2_K = GGUFTensorType(Q2_K.self)
}
