/// Exact grammars for JSON numbers between bounds, built digit by digit (the classic range-to-
/// regex construction), so `minimum: 18, maximum: 120` allows exactly 18…120 and nothing else.
enum NumericRange {
    /// A bound on a number: its value and whether the value itself is excluded.
    struct Bound {
        var value: Int64
        var exclusive: Bool
    }

    private static let digit = GrammarExpression.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9")))
    private static let nonZeroDigit = GrammarExpression.bytes(ByteSet(UInt8(ascii: "1")...UInt8(ascii: "9")))

    /// Integers `lo...hi` (either side open when nil), without leading zeros or `-0`; nil if the
    /// range is empty.
    static func integers(from lo: Int64?, through hi: Int64?) -> GrammarExpression? {
        if let lo, let hi, lo > hi { return nil }
        var alternatives: [GrammarExpression] = []
        if hi.map({ $0 >= 0 }) ?? true {
            alternatives.append(magnitudes(from: UInt64(max(lo ?? 0, 0)), through: hi.map { UInt64($0) }))
        }
        if lo.map({ $0 < 0 }) ?? true {
            let smallest = hi.map { $0 < 0 ? $0.magnitude : 1 } ?? 1
            alternatives.append(.sequence([.text("-"), magnitudes(from: smallest, through: lo.map(\.magnitude))]))
        }
        return choice(alternatives)
    }

    /// Decimal numbers (an integer part and an optional fraction, no exponent) between integer
    /// bounds, either side open when nil; nil if no number qualifies.
    static func decimals(lower: Bound?, upper: Bound?) -> GrammarExpression? {
        var alternatives: [GrammarExpression] = []
        // x >= 0, written without a sign: x itself is the magnitude.
        if upper.map({ $0.value > 0 || ($0.value == 0 && !$0.exclusive) }) ?? true {
            let low = lower.map { $0.value < 0 ? (0, false) : (UInt64($0.value), $0.exclusive) } ?? (0, false)
            if let branch = magnitudes(lower: low, upper: upper.map { (UInt64($0.value), $0.exclusive) }) {
                alternatives.append(branch)
            }
        }
        // x < 0: x = -m with m > 0; x <= U means m >= -U, x >= L means m <= -L.
        if lower.map({ $0.value < 0 }) ?? true {
            var low: (UInt64, Bool) = (0, true)
            if let upper, upper.value < 0 { low = (upper.value.magnitude, upper.exclusive) }
            if let branch = magnitudes(lower: low, upper: lower.map { ($0.value.magnitude, $0.exclusive) }) {
                alternatives.append(.sequence([.text("-"), branch]))
            }
        }
        return choice(alternatives)
    }

    /// Unsigned decimals m = I(.F)? with lower <= m <= upper (integer bounds, each possibly
    /// exclusive; no upper bound when nil); nil if none.
    private static func magnitudes(lower: (UInt64, Bool), upper: (UInt64, Bool)?) -> GrammarExpression? {
        let anyFraction = GrammarExpression.optional(.sequence([.text("."), .repetition(digit, min: 1, max: nil)]))
        let zeroFraction = GrammarExpression.optional(.sequence([.text("."), .repetition(.text("0"), min: 1, max: nil)]))
        let nonZeroFraction = GrammarExpression.sequence([
            .text("."), .repetition(digit, min: 0, max: nil), nonZeroDigit, .repetition(digit, min: 0, max: nil),
        ])
        let (a, aExclusive) = lower
        var alternatives: [GrammarExpression] = []
        // Integer parts strictly inside the bounds take any fraction.
        let (interiorLow, overflow) = a.addingReportingOverflow(aExclusive ? 1 : 0)
        if let (b, _) = upper {
            if !overflow, b >= 1, interiorLow <= b - 1 {
                alternatives.append(.sequence([magnitudes(from: interiorLow, through: b - 1), anyFraction]))
            }
        } else if !overflow {
            alternatives.append(.sequence([magnitudes(from: interiorLow, through: nil), anyFraction]))
        }
        // The integer part equal to an inclusive upper bound: no fraction beyond zeros.
        if let (b, bExclusive) = upper, !bExclusive, b > a || (b == a && !aExclusive) {
            alternatives.append(.sequence([.text(String(b)), zeroFraction]))
        }
        // The integer part equal to an exclusive lower bound: a fraction above zero.
        if aExclusive, upper.map({ a < $0.0 }) ?? true {
            alternatives.append(.sequence([.text(String(a)), nonZeroFraction]))
        }
        return choice(alternatives)
    }

    /// Unsigned integers `lo...hi` (hi nil: no bound) in decimal without leading zeros.
    static func magnitudes(from lo: UInt64, through hi: UInt64?) -> GrammarExpression {
        let loDigits = Array(String(lo).utf8)
        guard let hi else {
            // lo up to the largest number of its length, then every longer number.
            return .choice([
                sameLength(loDigits[...], nines(loDigits.count)[...]),
                .sequence([nonZeroDigit, .repetition(digit, min: loDigits.count, max: nil)]),
            ])
        }
        guard lo <= hi else { return .choice([]) }
        let hiDigits = Array(String(hi).utf8)
        var alternatives: [GrammarExpression] = []
        for length in loDigits.count...hiDigits.count {
            let first = length == loDigits.count ? loDigits : [UInt8(ascii: "1")] + zeros(length - 1)
            let last = length == hiDigits.count ? hiDigits : nines(length)
            alternatives.append(sameLength(first[...], last[...]))
        }
        return choice(alternatives) ?? .choice([])
    }

    private static func zeros(_ n: Int) -> [UInt8] { Array(repeating: UInt8(ascii: "0"), count: n) }
    private static func nines(_ n: Int) -> [UInt8] { Array(repeating: UInt8(ascii: "9"), count: n) }

    /// Digit strings of one length from `a` to `b` (inclusive, `a <= b`, leading zeros allowed).
    private static func sameLength(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> GrammarExpression {
        guard let a0 = a.first, let b0 = b.first else { return .empty }
        let restA = a.dropFirst()
        let restB = b.dropFirst()
        if a0 == b0 { return .sequence([.literal([a0]), sameLength(restA, restB)]) }
        let lowIsZeros = restA.allSatisfy { $0 == UInt8(ascii: "0") }
        let highIsNines = restB.allSatisfy { $0 == UInt8(ascii: "9") }
        var alternatives: [GrammarExpression] = []
        if !lowIsZeros {
            alternatives.append(.sequence([.literal([a0]), sameLength(restA, nines(restA.count)[...])]))
        }
        let middleLow = lowIsZeros ? a0 : a0 + 1
        let middleHigh = highIsNines ? b0 : b0 - 1
        if middleLow <= middleHigh {
            alternatives.append(
                .sequence([.bytes(ByteSet(middleLow...middleHigh)), .repetition(digit, min: restA.count, max: restA.count)]))
        }
        if !highIsNines {
            alternatives.append(.sequence([.literal([b0]), sameLength(zeros(restB.count)[...], restB)]))
        }
        return choice(alternatives) ?? .choice([])
    }

    private static func choice(_ alternatives: [GrammarExpression]) -> GrammarExpression? {
        switch alternatives.count {
        case 0: nil
        case 1: alternatives[0]
        default: .choice(alternatives)
        }
    }
}
