/// Q5_1: 32 values a block, an f16 scale d, an f16 minimum m and 32 5-bit values q: y = d·q + m.
enum Q5_1: TensorTypeCodec {
    static let code: UInt32 = 7
    static let name = "Q5_1"
    static let blockSize = 32
    static let bytesPerBlock = 24  // f16 scale + f16 minimum + 4 bytes of fifth bits + 16 bytes of nibbles
    static let scaleOffsets = [0, 2]

    static func encode(block x: ArraySlice<Float>, into out: inout [UInt8]) {
        let (d, minimum, q) = minimumLevels(x, levels: 32)
        appendHalf(d, to: &out)
        appendHalf(minimum, to: &out)
        packFiveBits(q, into: &out)
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 0), m = half(bytes, 2)
        for (j, q) in fiveBitValues(bytes, at: 4).enumerated() {
            let scaled = d * Float(q)
            values[j] = scaled + m
        }
    }
}

extension GGUFTensorType {
    /// Q5_1 (its codec above).
    public static let q5_1 = GGUFTensorType(Q5_1.self)
}
