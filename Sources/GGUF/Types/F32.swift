/// F32: IEEE single precision, one value a block.
enum F32: TensorTypeCodec {
    static let code: UInt32 = 0
    static let name = "F32"
    static let blockSize = 1
    static let bytesPerBlock = 4
    static let scaleOffsets: [Int] = []

    static func encode(block values: ArraySlice<Float>, into out: inout [UInt8]) {
        for v in values { out.append(littleEndian: v.bitPattern) }
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        values[0] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)))
    }
}

extension GGUFTensorType {
    /// F32 (its codec above).
    public static let f32 = GGUFTensorType(F32.self)
}
