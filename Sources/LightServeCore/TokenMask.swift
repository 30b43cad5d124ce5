/// Which token ids may be sampled next: a bitset over the vocabulary.
///
/// Layout (for code that applies it to logits, in C or otherwise): `words` holds little-endian
/// 64-bit words; token `i` is allowed when bit `i % 64` of `words[i / 64]` is set (bit 0 is the
/// least significant). On a little-endian machine the same memory read as 32-bit words puts
/// token `i` at bit `i % 32` of word `i / 32`. Bits at and past `count` are always clear, so ids
/// beyond the vocabulary (padding rows of an output head) are never allowed.
public struct TokenMask: Sendable, Equatable {
    public private(set) var words: [UInt64]
    /// The number of token ids the mask covers.
    public let count: Int

    /// A mask over `count` ids with none allowed.
    public init(count: Int) {
        self.count = max(count, 0)
        words = [UInt64](repeating: 0, count: (self.count + 63) / 64)
    }

    /// A mask over `count` ids allowing exactly `ids` (those outside `0..<count` are ignored).
    public init(count: Int, allowing ids: some Sequence<Int32>) {
        self.init(count: count)
        for id in ids { allow(id) }
    }

    /// Whether token `id` is allowed (false outside `0..<count`).
    @inline(__always)
    public func isAllowed(_ id: Int32) -> Bool {
        guard id >= 0, Int(id) < count else { return false }
        return words[Int(id) >> 6] & (1 << UInt64(id & 63)) != 0
    }

    /// Allows token `id` (ignored outside `0..<count`).
    @inline(__always)
    public mutating func allow(_ id: Int32) {
        guard id >= 0, Int(id) < count else { return }
        words[Int(id) >> 6] |= 1 << UInt64(id & 63)
    }

    /// Disallows token `id` (ignored outside `0..<count`).
    public mutating func disallow(_ id: Int32) {
        guard id >= 0, Int(id) < count else { return }
        words[Int(id) >> 6] &= ~(1 << UInt64(id & 63))
    }

    /// Disallows every token.
    public mutating func removeAll() {
        words.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Allows every token id below `limit` (all of them by default).
    public mutating func allowAll(below limit: Int? = nil) {
        let n = min(limit ?? count, count)
        words.withUnsafeMutableBufferPointer { w in
            let full = n / 64
            for i in 0..<full { w[i] = ~0 }
            for i in full..<w.count { w[i] = 0 }
            if n % 64 != 0 { w[full] = (1 << UInt64(n % 64)) - 1 }
        }
    }

    /// The number of allowed ids.
    public var allowedCount: Int {
        words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// Calls `body` with each allowed id in increasing order.
    public func forEachAllowed(_ body: (Int32) throws -> Void) rethrows {
        for (i, word) in words.enumerated() {
            var w = word
            while w != 0 {
                let bit = w.trailingZeroBitCount
                try body(Int32(i * 64 + bit))
                w &= w - 1
            }
        }
    }

    /// The allowed ids in increasing order.
    public var allowedIDs: [Int32] {
        var out: [Int32] = []
        forEachAllowed { out.append($0) }
        return out
    }

    /// Calls `body` with the words, e.g. to hand them to C.
    public func withUnsafeWords<R>(_ body: (UnsafeBufferPointer<UInt64>) throws -> R) rethrows -> R {
        try words.withUnsafeBufferPointer(body)
    }

    /// Adds every id set in `other` (a bitset with the same layout, possibly shorter).
    public mutating func formUnion(_ other: UnsafeBufferPointer<UInt64>) {
        words.withUnsafeMutableBufferPointer { w in
            for i in 0..<min(w.count, other.count) { w[i] |= other[i] }
        }
    }
}
