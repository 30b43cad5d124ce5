/// Q5_0: 32 values a block, an f16 scale d and 32 5-bit values q: y = d·(q - 16).
enum Q5_0: TensorTypeCodec {
    static let code: UInt32 = 6
    static let name = "Q5_0"
    static let blockSize = 32
    static let bytesPerBlock = 22  // f16 scale + 4 bytes of fifth bits + 16 bytes of nibbles
    static let scaleOffsets = [0]

    static func encode(block x: ArraySlice<Float>, into out: inout [UInt8]) {
        var extreme: Float = 0
        for v in x where abs(v) > abs(extreme) { extreme = v }
        let d = extreme / -16
        let inverse: Float = d == 0 ? 0 : 1 / d
        appendHalf(d, to: &out)
        packFiveBits(x.map { min(31, Int(($0 * inverse + 16.5).rounded(.towardZero))) }, into: &out)
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 0)
        for (j, q) in fiveBitValues(bytes, at: 2).enumerated() { values[j] = d * Float(q - 16) }
    }
}

extension GGUFTensorType {
    /// Q5_0 (its codec above).
    public static let q5_0 = GGUFTensorType(Q5_0.self)
}
