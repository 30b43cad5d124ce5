/// A set of byte values, 256 bits in four words: the label of one step of a grammar, which
/// matches exactly one byte from the set.
struct ByteSet: Hashable, Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The empty set.
    init() {
        words = (0, 0, 0, 0)
    }

    /// The bytes in `range`.
    init(_ range: ClosedRange<UInt8>) {
        self.init()
        for b in range { insert(b) }
    }

    /// The bytes in `bytes`.
    init(_ bytes: some Sequence<UInt8>) {
        self.init()
        for b in bytes { insert(b) }
    }

    static func == (a: ByteSet, b: ByteSet) -> Bool {
        a.words == b.words
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func union(_ other: ByteSet) -> ByteSet {
        var out = self
        out.words = (words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3)
        return out
    }

    func intersection(_ other: ByteSet) -> ByteSet {
        var out = self
        out.words = (words.0 & other.words.0, words.1 & other.words.1, words.2 & other.words.2, words.3 & other.words.3)
        return out
    }

    var isEmpty: Bool {
        words.0 | words.1 | words.2 | words.3 == 0
    }
}
