/// How characters are spelled between the quotes of a JSON string literal (RFC 8259): raw UTF-8
/// except `"`, `\` and U+0000–U+001F, which must be escaped.
enum JSONStringCharacters {
    static let mustEscape = CodePointSet([0...0x1F, 0x22...0x22, 0x5C...0x5C])

    /// One character of `set` in its canonical spelling: raw, or `\"`, `\\`, `\n`, `\r`, `\t`,
    /// `\b`, `\f`, and `\u00xx` (lowercase) for the other control characters. One spelling per
    /// character, so a pattern's characters map one to one onto the JSON text.
    static func expression(for set: CodePointSet) -> GrammarExpression {
        var alternatives: [GrammarExpression] = []
        let raw = set.subtracting(mustEscape)
        if !raw.isEmpty { alternatives.append(raw.utf8) }
        for r in set.ranges where r.lowerBound <= 0x5C {
            for scalar in r.lowerBound...min(r.upperBound, 0x5C) where mustEscape.contains(scalar) {
                alternatives.append(.text(escape(scalar)))
            }
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    /// One character spelled raw (anything but `"`, `\` and control characters).
    static let raw = CodePointSet.all.subtracting(mustEscape).utf8

    /// One escape sequence: a short escape (`\/` included) or `\uXXXX` (either case) for a
    /// non-surrogate or a surrogate pair. Lone surrogates are excluded so the string decodes to
    /// exactly the characters counted.
    static let escape: GrammarExpression = {
        let hex = GrammarExpression.bytes(ByteSet(Array("0123456789abcdefABCDEF".utf8)))
        let notD = GrammarExpression.bytes(ByteSet(Array("0123456789abcefABCEF".utf8)))
        let d = GrammarExpression.bytes(ByteSet(Array("dD".utf8)))
        let low8 = GrammarExpression.bytes(ByteSet(Array("01234567".utf8)))
        let high = GrammarExpression.bytes(ByteSet(Array("89abAB".utf8)))
        let lowSurrogate = GrammarExpression.bytes(ByteSet(Array("cdefCDEF".utf8)))
        let unicode = GrammarExpression.choice([
            .sequence([notD, hex, hex, hex]),
            .sequence([d, low8, hex, hex]),
            .sequence([d, high, hex, hex, .text("\\u"), d, lowSurrogate, hex, hex]),
        ])
        return .sequence([
            .text("\\"),
            .choice([.bytes(ByteSet(Array("\"\\/bfnrt".utf8))), .sequence([.text("u"), unicode])]),
        ])
    }()

    private static func escape(_ scalar: UInt32) -> String {
        switch scalar {
        case 0x22: return "\\\""
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x08: return "\\b"
        case 0x0C: return "\\f"
        default:
            let hex = String(scalar, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }
}
