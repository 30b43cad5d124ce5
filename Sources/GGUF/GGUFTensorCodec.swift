/// Reference encoders and decoders for each tensor type, written for clarity, not speed.
///
/// The engine's hot paths decode weights with their own kernels; these exist so tests and tools
/// can write synthetic model files and check those kernels against a plain implementation.
/// Quantization rounds to nearest the way ggml's reference quantizers do.
extension GGUFTensorType {
    /// Encodes `values` (a multiple of ``blockSize`` long) in this type's layout.
    public func encode(_ values: [Float]) -> [UInt8] {
        precondition(values.count % blockSize == 0, "\(values.count) values are not whole \(self) blocks")
        var out: [UInt8] = []
        out.reserveCapacity(byteCount(elements: values.count))
        switch self {
        case .f32:
            for v in values { out.append(littleEndian: v.bitPattern) }
        case .f16:
            for v in values { out.append(littleEndian: Float16(v).bitPattern) }
        case .bf16:
            for v in values { out.append(littleEndian: Self.bfloat16Bits(v)) }
        case .q4_0:
            for block in stride(from: 0, to: values.count, by: 32) {
                let xs = values[block..<block + 32]
                let extreme = xs.max { abs($0) < abs($1) } ?? 0
                let d = extreme / -8
                let inverse: Float = d == 0 ? 0 : 1 / d
                out.append(littleEndian: Float16(d).bitPattern)
                out.append(contentsOf: Self.packNibbles(xs.map { min(15, Int(($0 * inverse + 8.5).rounded(.down))) }))
            }
        case .q4_1:
            for block in stride(from: 0, to: values.count, by: 32) {
                let xs = values[block..<block + 32]
                let lo = xs.min() ?? 0
                let hi = xs.max() ?? 0
                let d = (hi - lo) / 15
                let inverse: Float = d == 0 ? 0 : 1 / d
                out.append(littleEndian: Float16(d).bitPattern)
                out.append(littleEndian: Float16(lo).bitPattern)
                out.append(contentsOf: Self.packNibbles(xs.map { min(15, Int((($0 - lo) * inverse + 0.5).rounded(.down))) }))
            }
        case .q8_0:
            for block in stride(from: 0, to: values.count, by: 32) {
                let xs = values[block..<block + 32]
                var amax: Float = 0
                for x in xs { amax = Swift.max(amax, abs(x)) }
                let d = amax / 127
                let inverse: Float = d == 0 ? 0 : 1 / d
                out.append(littleEndian: Float16(d).bitPattern)
                for x in xs { out.append(UInt8(bitPattern: Int8((x * inverse).rounded()))) }
            }
        case .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
            return KQuantCodec.encode(self, values)
        case .iq4_NL, .iq4_XS:
            return IQ4Codec.encode(self, values)
        }
        return out
    }

    /// Decodes `count` values (a multiple of ``blockSize``) from `bytes`.
    public func decode(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        precondition(bytes.count >= byteCount(elements: count), "too few bytes for \(count) \(self) values")
        var out: [Float] = []
        out.reserveCapacity(count)
        func half(_ offset: Int) -> Float {
            Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
        }
        switch self {
        case .f32:
            for i in 0..<count {
                out.append(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
            }
        case .f16:
            for i in 0..<count { out.append(half(2 * i)) }
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out.append(Float(bitPattern: UInt32(bits) << 16))
            }
        case .q4_0, .q4_1:
            let hasMinimum = self == .q4_1
            for block in 0..<(count / 32) {
                let base = block * bytesPerBlock
                let d = half(base)
                let m: Float = hasMinimum ? half(base + 2) : -8 * d
                let qs = base + (hasMinimum ? 4 : 2)
                var values = [Float](repeating: 0, count: 32)
                for j in 0..<16 {
                    let byte = bytes[qs + j]
                    values[j] = Float(byte & 0x0F) * d + m
                    values[j + 16] = Float(byte >> 4) * d + m
                }
                out.append(contentsOf: values)
            }
        case .q8_0:
            for block in 0..<(count / 32) {
                let base = block * bytesPerBlock
                let d = half(base)
                for j in 0..<32 { out.append(Float(Int8(bitPattern: bytes[base + 2 + j])) * d) }
            }
        case .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
            return KQuantCodec.decode(self, bytes, count: count)
        case .iq4_NL, .iq4_XS:
            return IQ4Codec.decode(self, bytes, count: count)
        }
        return out
    }

    /// Round-to-nearest-even truncation of a float to bfloat16, keeping NaNs quiet.
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounded = bits &+ (0x7FFF &+ ((bits >> 16) & 1))
        return UInt16(rounded >> 16)
    }

    /// ggml's nibble order: element `j` in the low nibble of byte `j`, element `j + 16` in its
    /// high nibble.
    private static func packNibbles(_ q: [Int]) -> [UInt8] {
        (0..<16).map { j in UInt8(q[j] & 0x0F) | UInt8((q[j + 16] & 0x0F) << 4) }
    }
}

extension Array where Element == UInt8 {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
