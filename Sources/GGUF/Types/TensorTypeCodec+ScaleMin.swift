/// What Q4_K and Q5_K share: super-blocks of 256 values in eight sub-blocks of 32, each with a
/// 6-bit scale and a 6-bit minimum relative to the super-block's f16 d and dmin
/// (y = d·sc·q - dmin·m), 4-bit values after the 12 bytes of scales (Q5_K's fifth bits between).
extension TensorTypeCodec {
    /// The 6-bit scale and minimum of sub-block `j` of the 12 bytes at `base`.
    static func scaleMin(_ s: UnsafeRawBufferPointer, _ base: Int, _ j: Int) -> (Int, Int) {
        if j < 4 { return (Int(s[base + j] & 63), Int(s[base + j + 4] & 63)) }
        return (Int(s[base + j + 4] & 0x0F) | Int(s[base + j - 4] >> 6) << 4,
                Int(s[base + j + 4] >> 4) | Int(s[base + j] >> 6) << 4)
    }

    static func decodeScaleMin(
        block bytes: UnsafeRawBufferPointer, fifthBits five: Bool, into values: UnsafeMutableBufferPointer<Float>
    ) {
        let d = half(bytes, 0)
        let dmin = half(bytes, 2)
        let qs = five ? 48 : 16
        for j in 0..<8 {
            let (sc, m) = scaleMin(bytes, 4, j)
            let dl = d * Float(sc)
            let ml = dmin * Float(m)
            for l in 0..<32 {
                var q = Int(bytes[qs + 32 * (j / 2) + l] >> (4 * (j & 1))) & 0x0F
                if five { q |= (Int(bytes[16 + l] >> j) & 1) << 4 }
                let scaled = dl * Float(q)
                values[32 * j + l] = scaled - ml
            }
        }
    }

    static func encodeScaleMin(block: ArraySlice<Float>, fifthBits five: Bool, into out: inout [UInt8]) {
        let x = Array(block)
        let nmax = five ? 31 : 15
        var scales = [Float](repeating: 0, count: 8), mins = [Float](repeating: 0, count: 8)
        for j in 0..<8 {
            let sub = x[32 * j..<32 * j + 32]
            let average = (sub.reduce(0) { $0 + $1 * $1 } / 32).squareRoot()
            let weights = sub.map { average + abs($0) }
            (scales[j], mins[j]) = KQuantSearch.scaleAndMinimum(
                sub, weights: weights, nmax: nmax, rmin: five ? -0.5 : -1, rdelta: 0.1, steps: five ? 15 : 20,
                absolute: false)
        }
        let maxScale = scales.max() ?? 0, maxMin = mins.max() ?? 0
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<8 {
            let ls = UInt8(min(63, KQuantSearch.nearest(inverseScale * scales[j])))
            let lm = UInt8(min(63, KQuantSearch.nearest(inverseMin * mins[j])))
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
                for i in 0..<32 { levels[32 * j + i] = max(0, min(nmax, KQuantSearch.nearest((x[32 * j + i] + ml) / dl))) }
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
}
