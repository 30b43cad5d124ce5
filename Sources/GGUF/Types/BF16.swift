/// BF16: the top half of an IEEE single, one value a block.
enum BF16: TensorTypeCodec {
    static let code: UInt32 = 30
    static let name = "BF16"
    static let blockSize = 1
    static let bytesPerBlock = 2
    static let scaleOffsets: [Int] = []

    static func encode(block values: ArraySlice<Float>, into out: inout [UInt8]) {
        for v in values { out.append(littleEndian: bits(v)) }
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let bits = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        values[0] = Float(bitPattern: UInt32(bits) << 16)
    }

    /// Round-to-nearest-even truncation of a float to bfloat16, keeping NaNs quiet.
    static func bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounded = bits &+ (0x7FFF &+ ((bits >> 16) & 1))
        return UInt16(rounded >> 16)
    }
}

extension GGUFTensorType {
    /// BF16 (its codec above).
    public static let bf16 = GGUFTensorType(BF16.self)
}
