/// Q5_0: 32 values a block, an f16 scale d and 32 5-bit values q: y = d·(q - 16).
enum Q5_0: TensorTypeCodec {
    static let code: UInt32 = 6
    static let name = "Q5_0"
    static let blockSize = 32
    static let bytesPerBlock = 22  // f16 scale + 4 bytes of fifth bits + 16 bytes of nibbles
    static let scaleOffsets = [0]

    static func encode(block x: ArraySlice<Float>, into out: inout [UInt8]) {
        let (d, q) = symmetricLevels(x, levels: 32)
        appendHalf(d, to: &out)
        packFiveBits(q, into: &out)
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
