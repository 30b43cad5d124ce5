/// A string written as a JSON string literal, escaped as Python's `json.dumps` does with
/// `ensure_ascii=False`: the HTTP responses and the chat templates' `tojson` share it, so both
/// quote text the same way.
public enum JSONStringLiteral {
    /// Appends `s`, quoted and escaped, to `out`; with `asciiOnly` (`ensure_ascii=True`) every
    /// character outside printable ASCII is a `\uXXXX` escape, UTF-16 surrogate pairs beyond the
    /// Basic Multilingual Plane.
    public static func append(_ s: String, to out: inout String, asciiOnly: Bool = false) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7E):
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
