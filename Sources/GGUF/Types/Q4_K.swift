/// Q4_K: super-blocks of 256 values, f16 d and dmin, eight sub-blocks of 32 with 6-bit scales
/// and minimums, 4-bit values: y = d·sc·q - dmin·m. The bulk of a Q4_K_M file.
enum Q4_K: TensorTypeCodec {
    static let code: UInt32 = 12
    static let name = "Q4_K"
    static let blockSize = 256
    static let bytesPerBlock = 144  // f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles
    static let scaleOffsets = [0, 2]

    static func encode(block values: ArraySlice<Float>, into out: inout [UInt8]) {
        encodeScaleMin(block: values, fifthBits: false, into: &out)
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        decodeScaleMin(block: bytes, fifthBits: false, into: values)
    }
}

extension GGUFTensorType {
    /// Q4_K (its codec above).
    public static let q4_K = GGUFTensorType(Q4_K.self)
}
