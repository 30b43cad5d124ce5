/// IQ4_NL: 32 values a block, an f16 d and 16 bytes of level indexes: y = d·level. IQ4_XS mixes
/// fall back to it where rows are not whole super-blocks.
enum IQ4_NL: TensorTypeCodec {
    static let code: UInt32 = 20
    static let name = "IQ4_NL"
    static let blockSize = 32
    static let bytesPerBlock = 18  // f16 scale + 16 bytes of level indexes
    static let scaleOffsets = [0]

    static func encode(block x: ArraySlice<Float>, into out: inout [UInt8]) {
        let d = Float(Float16(bestLevelScale(x)))
        appendHalf(d, to: &out)
        packLevels(x, scale: d, into: &out)
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        decodeLevels(bytes, at: 2, scale: half(bytes, 0), into: values)
    }
}

extension GGUFTensorType {
    /// IQ4_NL (its codec above).
    public static let iq4_NL = GGUFTensorType(IQ4_NL.self)
}
