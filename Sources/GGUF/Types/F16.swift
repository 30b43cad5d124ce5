/// F16: IEEE half precision, one value a block.
enum F16: TensorTypeCodec {
    static let code: UInt32 = 1
    static let name = "F16"
    static let blockSize = 1
    static let bytesPerBlock = 2
    static let scaleOffsets: [Int] = []

    static func encode(block values: ArraySlice<Float>, into out: inout [UInt8]) {
        for v in values { appendHalf(v, to: &out) }
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        values[0] = half(bytes, 0)
    }
}

extension GGUFTensorType {
    /// F16 (its codec above).
    public static let f16 = GGUFTensorType(F16.self)
}
