/// What Q5_0 and Q5_1 share: 32 five-bit values, their fifth bits in a 32-bit word before
/// ggml's nibbles. K-quant mixes fall back to them when a row is not a multiple of 256.
extension TensorTypeCodec {
    /// Appends 32 five-bit values: the word of fifth bits, then the nibbles.
    static func packFiveBits(_ q: [Int], into out: inout [UInt8]) {
        var qh: UInt32 = 0
        for j in 0..<32 { qh |= UInt32((q[j] >> 4) & 1) << j }
        out.append(littleEndian: qh)
        packNibbles(q, into: &out)
    }

    /// The 32 five-bit values whose word of fifth bits is at `offset`.
    static func fiveBitValues(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> [Int] {
        let qh = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
        return (0..<32).map { j in
            let nibble = j < 16 ? bytes[offset + 4 + j] & 0x0F : bytes[offset + 4 + j - 16] >> 4
            return Int(nibble) | Int((qh >> j) & 1) << 4
        }
    }
}
