/// A set of Unicode scalar values (code points other than surrogates), kept as sorted, disjoint,
/// non-adjacent ranges: what a character class in a regex or an EBNF grammar denotes before it
/// is lowered to UTF-8 bytes.
struct CodePointSet: Hashable, Sendable {
    /// The largest Unicode scalar value.
    static let maxScalar: UInt32 = 0x10FFFF
    static let surrogates: ClosedRange<UInt32> = 0xD800...0xDFFF

    private(set) var ranges: [ClosedRange<UInt32>]

    /// The scalars in `ranges`, which may overlap, touch, come in any order or include
    /// surrogates (those are dropped).
    init(_ ranges: [ClosedRange<UInt32>]) {
        let sorted = ranges.map { $0.lowerBound...min($0.upperBound, Self.maxScalar) }
            .filter { $0.lowerBound <= Self.maxScalar }
            .sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for r in sorted {
            if let last = merged.last, r.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        var out: [ClosedRange<UInt32>] = []
        for r in merged {
            if r.upperBound < Self.surrogates.lowerBound || r.lowerBound > Self.surrogates.upperBound {
                out.append(r)
                continue
            }
            if r.lowerBound < Self.surrogates.lowerBound { out.append(r.lowerBound...(Self.surrogates.lowerBound - 1)) }
            if r.upperBound > Self.surrogates.upperBound { out.append((Self.surrogates.upperBound + 1)...r.upperBound) }
        }
        self.ranges = out
    }

    init(scalar: UInt32) {
        self.init([scalar...scalar])
    }

    static let empty = CodePointSet([])
    static let all = CodePointSet([0...maxScalar])

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ scalar: UInt32) -> Bool {
        var lo = 0
        var hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < scalar {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo < ranges.count && ranges[lo].contains(scalar)
    }

    func union(_ other: CodePointSet) -> CodePointSet {
        CodePointSet(ranges + other.ranges)
    }

    /// Every scalar not in the set.
    func inverted() -> CodePointSet {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = r.upperBound &+ 1
        }
        if next <= Self.maxScalar { out.append(next...Self.maxScalar) }
        return CodePointSet(out)
    }

    func subtracting(_ other: CodePointSet) -> CodePointSet {
        CodePointSet(other.union(inverted()).inverted().ranges)
    }

    /// One character of the set as UTF-8: a choice among sequences of byte sets (a scalar range
    /// whose encodings share a length splits into sequences whose every position is a range).
    var utf8: GrammarExpression {
        if let last = ranges.last, last.upperBound < 0x80 {
            return .bytes(ByteSet(ranges.flatMap { r in (r.lowerBound...r.upperBound).map { UInt8($0) } }))
        }
        var alternatives: [GrammarExpression] = []
        for r in ranges {
            for sequence in Self.utf8Sequences(r) {
                alternatives.append(.sequence(sequence.map { .bytes(ByteSet($0)) }))
            }
        }
        return .choice(alternatives)
    }

    /// The UTF-8 encoding of `scalar`, which must not be a surrogate.
    static func utf8Bytes(_ scalar: UInt32) -> [UInt8] {
        switch scalar {
        case 0..<0x80:
            return [UInt8(scalar)]
        case 0x80..<0x800:
            return [0xC0 | UInt8(scalar >> 6), 0x80 | UInt8(scalar & 0x3F)]
        case 0x800..<0x10000:
            return [0xE0 | UInt8(scalar >> 12), 0x80 | UInt8((scalar >> 6) & 0x3F), 0x80 | UInt8(scalar & 0x3F)]
        default:
            return [
                0xF0 | UInt8(scalar >> 18), 0x80 | UInt8((scalar >> 12) & 0x3F),
                0x80 | UInt8((scalar >> 6) & 0x3F), 0x80 | UInt8(scalar & 0x3F),
            ]
        }
    }

    /// Splits a range of scalars (no surrogates) into pieces whose UTF-8 encodings have one
    /// length and whose bytes vary independently, so each piece is a sequence of byte ranges.
    private static func utf8Sequences(_ range: ClosedRange<UInt32>) -> [[ClosedRange<UInt8>]] {
        var out: [[ClosedRange<UInt8>]] = []
        var pending = [range]
        outer: while let r = pending.popLast() {
            let (lo, hi) = (r.lowerBound, r.upperBound)
            for boundary: UInt32 in [0x7F, 0x7FF, 0xFFFF] where lo <= boundary && hi > boundary {
                pending.append((boundary + 1)...hi)
                pending.append(lo...boundary)
                continue outer
            }
            let length = utf8Bytes(lo).count
            for i in 1..<max(length, 1) {
                let low: UInt32 = (1 << (6 * UInt32(i))) - 1
                guard lo & ~low != hi & ~low else { continue }
                if lo & low != 0 {
                    pending.append(((lo | low) + 1)...hi)
                    pending.append(lo...(lo | low))
                    continue outer
                }
                if hi & low != low {
                    pending.append((hi & ~low)...hi)
                    pending.append(lo...((hi & ~low) - 1))
                    continue outer
                }
            }
            out.append(zip(utf8Bytes(lo), utf8Bytes(hi)).map { $0...$1 })
        }
        return out
    }
}
