/// Q4_0: 32 values a block, an f16 scale d and 32 4-bit values q: y = d·(q - 8).
enum Q4_0: TensorTypeCodec {
    static let code: UInt32 = 2
    static let name = "Q4_0"
    static let blockSize = 32
    static let bytesPerBlock = 18  // f16 scale + 16 bytes of nibbles
    static let scaleOffsets = [0]

    static func encode(block x: ArraySlice<Float>, into out: inout [UInt8]) {
        let (d, q) = symmetricLevels(x, levels: 16)
        appendHalf(d, to: &out)
        packNibbles(q, into: &out)
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 0)
        decodeNibbles(bytes, at: 2, into: values) { Float($0 - 8) * d }
    }
}

extension GGUFTensorType {
    /// Q4_0 (its codec above).
    public static let q4_0 = GGUFTensorType(Q4_0.self)
}
