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

    /// A symmetric block's scale and levels, as ggml's reference quantizers make them (Q4_0,
    /// Q5_0): the value of largest magnitude maps to level 0, and levels run 0..<`levels` about
    /// `levels / 2` (y = d·(q - levels/2)).
    static func symmetricLevels(_ x: ArraySlice<Float>, levels: Int) -> (d: Float, q: [Int]) {
        var extreme: Float = 0
        for v in x where abs(v) > abs(extreme) { extreme = v }
        let d = extreme / -Float(levels / 2)
        let inverse: Float = d == 0 ? 0 : 1 / d, offset = Float(levels / 2) + 0.5
        return (d, x.map { min(levels - 1, Int(($0 * inverse + offset).rounded(.down))) })
    }

    /// A block's scale, minimum and levels 0..<`levels` spanning its range, as ggml's reference
    /// quantizers make them (Q4_1, Q5_1: y = d·q + minimum).
    static func minimumLevels(_ x: ArraySlice<Float>, levels: Int) -> (d: Float, minimum: Float, q: [Int]) {
        let lo = x.min() ?? 0, hi = x.max() ?? 0
        let d = (hi - lo) / Float(levels - 1)
        let inverse: Float = d == 0 ? 0 : 1 / d
        return (d, lo, x.map { min(levels - 1, Int((($0 - lo) * inverse + 0.5).rounded(.down))) })
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
