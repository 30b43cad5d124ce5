/// Q4_1: 32 values a block, an f16 scale d, an f16 minimum m and 32 4-bit values q: y = d·q + m.
enum Q4_1: TensorTypeCodec {
    static let code: UInt32 = 3
    static let name = "Q4_1"
    static let blockSize = 32
    static let bytesPerBlock = 20  // f16 scale + f16 minimum + 16 bytes of nibbles
    static let scaleOffsets = [0, 2]

    static func encode(block x: ArraySlice<Float>, into out: inout [UInt8]) {
        let (d, minimum, q) = minimumLevels(x, levels: 16)
        appendHalf(d, to: &out)
        appendHalf(minimum, to: &out)
        packNibbles(q, into: &out)
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 0), m = half(bytes, 2)
        decodeNibbles(bytes, at: 4, into: values) { Float($0) * d + m }
    }
}

extension GGUFTensorType {
    /// Q4_1 (its codec above).
    public static let q4_1 = GGUFTensorType(Q4_1.self)
}
