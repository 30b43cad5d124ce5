import Tokenize

/// Turns a stream of token ids into text pieces as they arrive.
///
/// Byte-level tokens can end in the middle of a UTF-8 character; those bytes are held back until
/// the character completes, so a piece never contains a U+FFFD that the whole text would not.
/// The concatenation of all pieces (including ``finish()``) equals a one-shot decode of the ids.
public struct IncrementalDetokenizer: Sendable {
    public let vocabulary: Vocabulary
    /// Leave control tokens (such as `<|im_end|>`) out of the text.
    public let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    public init(vocabulary: Vocabulary, skipSpecialTokens: Bool = true) {
        self.vocabulary = vocabulary
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Bytes held back waiting for the rest of a character.
    public var pendingByteCount: Int { pending.count }

    /// The text that `token` completes; empty while a character is still incomplete.
    public mutating func append(_ token: Int32) -> String {
        guard vocabulary.contains(token) else { return "" }
        if skipSpecialTokens && vocabulary.isSpecial(token) { return "" }
        pending.append(contentsOf: vocabulary.bytes(of: token))
        let ready = pending.count - Self.incompleteSuffixLength(pending)
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Whatever is still held back (an unfinished character becomes U+FFFD).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the trailing bytes that are the start of a valid multi-byte character still
    /// missing continuation bytes; 0 if the bytes end on a boundary (or on invalid bytes, which
    /// no later token can repair).
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // A token with no bytes (vocabularies padded with unused entries have them) adds none.
        guard n > 0 else { return 0 }
        // A character is at most 4 bytes: look back at most 3 for its lead byte.
        for back in 1...min(3, n) {
            let byte = bytes[n - back]
            if byte & 0xC0 == 0x80 { continue }  // continuation byte: keep looking for the lead
            let needed: Int
            switch byte {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            default: return 0  // ASCII or an invalid lead: nothing to wait for
            }
            guard back < needed else { return 0 }
            // The continuation bytes seen so far must be ones that can still complete it.
            if back >= 2 {
                let second = bytes[n - back + 1]
                switch byte {
                case 0xE0: if second < 0xA0 { return 0 }
                case 0xED: if second > 0x9F { return 0 }
                case 0xF0: if second < 0x90 { return 0 }
                case 0xF4: if second > 0x8F { return 0 }
                default: break
                }
            }
            return back
        }
        return 0
    }
}
