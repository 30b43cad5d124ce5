/// Q5_K: Q4_K's super-blocks with 5-bit values, the fifth bits in 32 bytes before the nibbles.
enum Q5_K: TensorTypeCodec {
    static let code: UInt32 = 13
    static let name = "Q5_K"
    static let blockSize = 256
    static let bytesPerBlock = 176  // as Q4_K plus 32 bytes of fifth bits before the nibbles
    static let scaleOffsets = [0, 2]

    static func encode(block values: ArraySlice<Float>, into out: inout [UInt8]) {
        encodeScaleMin(block: values, fifthBits: true, into: &out)
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        decodeScaleMin(block: bytes, fifthBits: true, into: values)
    }
}

extension GGUFTensorType {
    /// Q5_K (its codec above).
    public static let q5_K = GGUFTensorType(Q5_K.self)
}
