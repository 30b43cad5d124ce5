/// IQ4_XS: super-blocks of 256 values, an f16 d and a 6-bit signed multiplier per 32 values:
/// y = d·(ls - 32)·level.
enum IQ4_XS: TensorTypeCodec {
    static let code: UInt32 = 23
    static let name = "IQ4_XS"
    static let blockSize = 256
    static let bytesPerBlock = 136  // f16 d, 2 bytes of scales' high bits, 4 bytes of their low nibbles, 128 bytes of indexes
    static let scaleOffsets = [0]

    /// Sub-block `index`'s multiplier, in -32...31.
    static func multiplier(_ bytes: UnsafeRawBufferPointer, _ index: Int) -> Int {
        let low = Int(bytes[4 + index / 2] >> (4 * (index & 1))) & 0x0F
        let high = (Int(bytes[2]) | Int(bytes[3]) << 8) >> (2 * index) & 3
        return (low | high << 4) - 32
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 0)
        for sub in 0..<8 {
            decodeLevels(
                bytes, at: 8 + 16 * sub, scale: d * Float(multiplier(bytes, sub)),
                into: UnsafeMutableBufferPointer(rebasing: values[(32 * sub)..<(32 * sub + 32)]))
        }
    }

    static func encode(block x: ArraySlice<Float>, into out: inout [UInt8]) {
        let base = x.startIndex
        let scales = (0..<8).map { bestLevelScale(x[base + 32 * $0..<base + 32 * $0 + 32]) }
        var extreme: Float = 0
        for s in scales where abs(s) > abs(extreme) { extreme = s }
        // Multipliers in -32...31: the largest scale maps to -32.
        let d = Float(Float16(extreme / -32))
        let inverse: Float = d == 0 ? 0 : 1 / d
        let multipliers = scales.map { max(-32, min(31, Int(($0 * inverse).rounded(.toNearestOrEven)))) }
        appendHalf(d, to: &out)
        var high: UInt16 = 0
        for (i, m) in multipliers.enumerated() { high |= UInt16((m + 32) >> 4) << (2 * i) }
        out.append(littleEndian: high)
        for i in stride(from: 0, to: 8, by: 2) {
            out.append(UInt8((multipliers[i] + 32) & 0x0F) | UInt8((multipliers[i + 1] + 32) & 0x0F) << 4)
        }
        for (i, m) in multipliers.enumerated() {
            packLevels(x[base + 32 * i..<base + 32 * i + 32], scale: d * Float(m), into: &out)
        }
    }
}

extension GGUFTensorType {
    /// IQ4_XS (its codec above).
    public static let iq4_XS = GGUFTensorType(IQ4_XS.self)
}
