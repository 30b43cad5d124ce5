/// Q3_K: super-blocks of 256 3-bit values (a mask of third bits, then 2-bit fields) in sixteen
/// sub-blocks of 16 with 6-bit signed scales, one f16 d stored last: y = d·(sc - 32)·(q - 4·!hbit).
enum Q3_K: TensorTypeCodec {
    static let code: UInt32 = 11
    static let name = "Q3_K"
    static let blockSize = 256
    static let bytesPerBlock = 110  // 32 bytes of third bits, 64 bytes of 2-bit values, 12 bytes of 6-bit scales, f16 d
    static let scaleOffsets = [108]

    /// Scale `i` of the 12 packed bytes at `base`, minus 32.
    static func scale(_ s: UnsafeRawBufferPointer, _ base: Int, _ i: Int) -> Int {
        let low = i < 8 ? Int(s[base + i] & 0x0F) : Int(s[base + i - 8] >> 4)
        let high = Int(s[base + 8 + i % 4] >> (2 * (i / 4))) & 3
        return (low | high << 4) - 32
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 108)
        for i in 0..<256 {
            let c = i / 128, j = (i % 128) / 32, l = i % 32
            let low = Int(bytes[32 + 32 * c + l] >> (2 * j)) & 3
            let set = (bytes[l] >> (4 * c + j)) & 1 == 1
            let dl = d * Float(scale(bytes, 96, i / 16))
            values[i] = dl * Float(low - (set ? 0 : 4))
        }
    }

    static func encode(block: ArraySlice<Float>, into out: inout [UInt8]) {
        let x = Array(block)
        let (scales, maxScale) = KQuantSearch.symmetricScales(x, nmax: 4)
        var packed = [UInt8](repeating: 0, count: 12)
        var d: Float = 0
        if maxScale != 0 {
            let iscale = -32 / maxScale
            d = 1 / iscale
            for j in 0..<16 {
                let l = UInt8(max(-32, min(31, KQuantSearch.nearest(iscale * scales[j]))) + 32)
                if j < 8 { packed[j] = l & 0x0F } else { packed[j - 8] |= (l & 0x0F) << 4 }
                packed[j % 4 + 8] |= (l >> 4) << (2 * (j / 4))
            }
        }
        var levels = [Int](repeating: 4, count: 256)
        let dStored = Float(Float16(d))
        packed.withUnsafeBytes { s in
            for j in 0..<16 {
                let dl = dStored * Float(scale(s, 0, j))
                guard dl != 0 else { continue }
                for i in 0..<16 { levels[16 * j + i] = max(-4, min(3, KQuantSearch.nearest(x[16 * j + i] / dl))) + 4 }
            }
        }
        var hmask = [UInt8](repeating: 0, count: 32)
        for i in 0..<256 where levels[i] > 3 {
            hmask[i % 32] |= 1 << (i / 32)
            levels[i] -= 4
        }
        out.append(contentsOf: hmask)
        KQuantSearch.packTwoBit(levels, into: &out)
        out.append(contentsOf: packed)
        appendHalf(d, to: &out)
    }
}

extension GGUFTensorType {
    /// Q3_K (its codec above).
    public static let q3_K = GGUFTensorType(Q3_K.self)
}
