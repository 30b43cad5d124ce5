/// A set of token ids as a bitset over the vocabulary: bit `i % 64` of word `i / 64` is token
/// `i`. The sampler applies it to the logits; constraints fill it.
public struct TokenMask: Sendable, Equatable {
    public private(set) var words: [UInt64]
    public let count: Int

    /// A mask over `count` tokens, every token allowed or none.
    public init(count: Int, allowing: Bool) {
        self.count = count
        self.words = Array(repeating: allowing ? ~0 : 0, count: (count + 63) / 64)
        if allowing { clearTail() }
    }

    public subscript(token: Int32) -> Bool {
        get {
            guard token >= 0, Int(token) < count else { return false }
            return words[Int(token) >> 6] & (1 << (UInt64(token) & 63)) != 0
        }
        set {
            guard token >= 0, Int(token) < count else { return }
            let bit: UInt64 = 1 << (UInt64(token) & 63)
            if newValue { words[Int(token) >> 6] |= bit } else { words[Int(token) >> 6] &= ~bit }
        }
    }

    /// Allows every token, or none.
    public mutating func setAll(_ allowed: Bool) {
        for i in words.indices { words[i] = allowed ? ~0 : 0 }
        if allowed { clearTail() }
    }

    /// Direct access to the words, for constraints that fill many bits at once.
    public mutating func withUnsafeMutableWords<R>(_ body: (UnsafeMutableBufferPointer<UInt64>) throws -> R) rethrows -> R {
        defer { clearTail() }
        return try words.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// The number of allowed tokens.
    public var allowedCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Bits past `count` stay clear, so whole-word operations never allow a token that does not exist.
    private mutating func clearTail() {
        let tail = count & 63
        if tail != 0, !words.isEmpty { words[words.count - 1] &= (1 << UInt64(tail)) - 1 }
    }
}
