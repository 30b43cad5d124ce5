/// GPT-2's reversible map between bytes and printable Unicode characters.
///
/// Byte-level BPE vocabularies store every token as text in which each byte of the original
/// is one character: printable Latin-1 bytes stand for themselves and the rest are shifted to
/// U+0100 and up (a space becomes `Ġ`, a newline `Ċ`).
enum ByteLevelAlphabet {
    /// `scalarForByte[b]` is the character that stands for byte `b`.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var shifted: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(shifted)!
                shifted += 1
            }
        }
        return table
    }()

    /// The byte a character stands for, or `nil` if it is outside the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        byteForScalar[scalar]
    }

    private static let byteForScalar: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() { map[scalar] = UInt8(byte) }
        return map
    }()

    /// Decodes a token's text back to the bytes it stands for; `nil` if any character is not in
    /// the alphabet (the token is not byte-level text).
    static func bytes(of text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let b = byteForScalar[scalar] else { return nil }
            out.append(b)
        }
        return out
    }
}
