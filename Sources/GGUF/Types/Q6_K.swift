/// Q6_K: super-blocks of 256 6-bit values in sixteen sub-blocks of 16 with signed 8-bit scales,
/// one f16 d stored last: y = d·sc·(q - 32). The output head of every K-quant mix.
enum Q6_K: TensorTypeCodec {
    static let code: UInt32 = 14
    static let name = "Q6_K"
    static let blockSize = 256
    static let bytesPerBlock = 210  // 128 bytes of low nibbles, 64 bytes of high pairs, 16 int8 scales, f16 d
    static let scaleOffsets = [208]

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 208)
        for i in 0..<256 {
            let half128 = i / 128, g = (i % 128) / 32, l = i % 32
            let qlByte = bytes[64 * half128 + l + 32 * (g & 1)]
            let low = Int(g < 2 ? qlByte & 0x0F : qlByte >> 4)
            let high = Int(bytes[128 + 32 * half128 + l] >> (2 * g)) & 3
            let scale = Int8(bitPattern: bytes[192 + i / 16])
            let dl = d * Float(scale)
            values[i] = dl * Float((low | high << 4) - 32)
        }
    }

    static func encode(block: ArraySlice<Float>, into out: inout [UInt8]) {
        let x = Array(block)
        let (scales, maxScale) = KQuantSearch.symmetricScales(x, nmax: 32)
        var levels = [Int](repeating: 32, count: 256)
        var intScales = [Int8](repeating: 0, count: 16)
        var d: Float = 0
        if abs(maxScale) >= 1e-15 {
            let iscale = -128 / maxScale
            d = 1 / iscale
            for j in 0..<16 { intScales[j] = Int8(min(127, KQuantSearch.nearest(iscale * scales[j]))) }
            let dStored = Float(Float16(d))
            for j in 0..<16 {
                let dl = dStored * Float(intScales[j])
                guard dl != 0 else { continue }
                for i in 0..<16 { levels[16 * j + i] = max(-32, min(31, KQuantSearch.nearest(x[16 * j + i] / dl))) + 32 }
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
}

extension GGUFTensorType {
    /// Q6_K (its codec above).
    public static let q6_K = GGUFTensorType(Q6_K.self)
}
