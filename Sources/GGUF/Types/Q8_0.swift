/// Q8_0: 32 values a block, an f16 scale d and 32 signed bytes q: y = d·q.
enum Q8_0: TensorTypeCodec {
    static let code: UInt32 = 8
    static let name = "Q8_0"
    static let blockSize = 32
    static let bytesPerBlock = 34  // f16 scale + 32 signed bytes
    static let scaleOffsets = [0]

    static func encode(block xs: ArraySlice<Float>, into out: inout [UInt8]) {
        var amax: Float = 0
        for x in xs { amax = Swift.max(amax, abs(x)) }
        let d = amax / 127
        let inverse: Float = d == 0 ? 0 : 1 / d
        appendHalf(d, to: &out)
        for x in xs { out.append(UInt8(bitPattern: Int8((x * inverse).rounded()))) }
    }

    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, 0)
        for j in 0..<32 { values[j] = Float(Int8(bitPattern: bytes[2 + j])) * d }
    }
}

extension GGUFTensorType {
    /// Q8_0 (its codec above).
    public static let q8_0 = GGUFTensorType(Q8_0.self)
}
