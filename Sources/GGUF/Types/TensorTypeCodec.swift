/// One ggml tensor type, in one place: its code and name, its block geometry, and a reference
/// encoder and decoder of one block. Each type is a file of its own in `Types/`, listed once in
/// ``GGUFTensorType/allCases``.
///
/// The engine's hot paths decode weights with their own kernels (`Sources/ExecuteKernels/types`);
/// these exist so that tests and tools can write model files and check those kernels against a
/// plain implementation. Decoders follow ggml's reference dequantizers operation by operation (bit
/// for bit with the `gguf` Python package), encoders round as ggml's reference quantizers do.
protocol TensorTypeCodec: Sendable {
    /// ggml's code for the type (a GGUF tensor's `type` field).
    static var code: UInt32 { get }
    /// ggml's name (`Q4_K`).
    static var name: String { get }
    /// Values per block (1 for the float types).
    static var blockSize: Int { get }
    /// Bytes per block.
    static var bytesPerBlock: Int { get }
    /// Byte offsets of the f16 scales (and minimums) in a block; none for the float types.
    static var scaleOffsets: [Int] { get }
    /// Appends the encoding of one block of values (``blockSize`` of them).
    static func encode(block values: ArraySlice<Float>, into out: inout [UInt8])
    /// Decodes one block (``bytesPerBlock`` bytes) into ``blockSize`` values.
    static func decode(block bytes: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Float>)
}

extension TensorTypeCodec {
    /// The little-endian f16 at `offset`, as a float.
    static func half(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8))
    }

    static func appendHalf(_ value: Float, to out: inout [UInt8]) {
        out.append(littleEndian: Float16(value).bitPattern)
    }

    /// ggml's nibble order for 32 values: element `j` in the low nibble of byte `j`, element
    /// `j + 16` in its high nibble.
    static func packNibbles(_ q: [Int], into out: inout [UInt8]) {
        for j in 0..<16 { out.append(UInt8(q[j] & 0x0F) | UInt8((q[j + 16] & 0x0F) << 4)) }
    }

    /// The 16 bytes of nibbles at `offset` (ggml's order, see ``packNibbles``), each through `value`.
    static func decodeNibbles(
        _ bytes: UnsafeRawBufferPointer, at offset: Int, into values: UnsafeMutableBufferPointer<Float>, _ value: (Int) -> Float
    ) {
        for j in 0..<16 {
            let byte = bytes[offset + j]
            values[j] = value(Int(byte & 0x0F))
            values[j + 16] = value(Int(byte >> 4))
        }
    }
}

extension Array where Element == UInt8 {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
