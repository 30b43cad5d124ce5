/// Python's `str` operations over code points (Unicode scalars), the unit Python counts, indexes
/// and slices in: `len("e\u{301}")` is 2 in a template, where Swift's `count` says 1.
enum PythonString {
    typealias Scalars = [Unicode.Scalar]

    static func scalars(_ s: String) -> Scalars { Array(s.unicodeScalars) }

    static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Python's `<` on strings: code point by code point (Swift's own `<` and `==` compare
    /// canonically equivalent strings as equal, which Python does not).
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }

    /// Python's `==` on strings.
    static func equal(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }

    /// `str.isspace()` for one code point: Unicode white space and the four separators
    /// (U+001C–U+001F) Python adds.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
    }

    /// `str.strip(chars)`, `lstrip`, `rstrip`: `chars` nil strips white space.
    static func strip(_ s: String, _ chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let drop: (Unicode.Scalar) -> Bool = { set?.contains($0) ?? isSpace($0) }
        var items = scalars(s)[...]
        if leading { items = items.drop(while: drop) }
        if trailing {
            while let last = items.last, drop(last) { items.removeLast() }
        }
        return string(items)
    }

    /// The code-point offset of the first (or last) occurrence of `needle` starting within
    /// `from..<upTo` of `haystack` (bounds clamped, as Python clamps them).
    static func find(
        _ haystack: Scalars, _ needle: Scalars, from start: Int = 0, upTo end: Int = .max, last: Bool = false
    ) -> Int? {
        let first = max(0, start)
        let lastStart = min(end, haystack.count) - needle.count
        guard lastStart >= first else { return nil }
        func matches(_ i: Int) -> Bool { haystack[i..<(i + needle.count)].elementsEqual(needle) }
        if last {
            for i in stride(from: lastStart, through: first, by: -1) where matches(i) { return i }
        } else {
            for i in first...lastStart where matches(i) { return i }
        }
        return nil
    }

    /// `str.count(sub)`: non-overlapping occurrences; an empty `sub` counts every gap.
    static func count(_ s: String, _ sub: String) -> Int {
        let (haystack, needle) = (scalars(s), scalars(sub))
        guard !needle.isEmpty else { return haystack.count + 1 }
        var count = 0
        var i = 0
        while let j = find(haystack, needle, from: i) {
            count += 1
            i = j + needle.count
        }
        return count
    }

    /// `str.replace(old, new, count)`; a negative count replaces every occurrence.
    static func replace(_ s: String, _ old: String, _ new: String, count limit: Int = -1) -> String {
        let (haystack, needle, replacement) = (scalars(s), scalars(old), scalars(new))
        var out: Scalars = []
        var replaced = 0
        guard !needle.isEmpty else {
            // Python inserts `new` before every code point and at the end.
            for c in haystack {
                if limit < 0 || replaced < limit {
                    out += replacement
                    replaced += 1
                }
                out.append(c)
            }
            if limit < 0 || replaced < limit { out += replacement }
            return string(out)
        }
        var i = 0
        while limit < 0 || replaced < limit, let j = find(haystack, needle, from: i) {
            out += haystack[i..<j]
            out += replacement
            replaced += 1
            i = j + needle.count
        }
        out += haystack[i...]
        return string(out)
    }

    /// `str.split(sep, maxsplit)` (`fromEnd` for `rsplit`); a nil `sep` splits on runs of white
    /// space and drops empty pieces. A negative `maxSplit` splits everywhere.
    static func split(_ s: String, _ separator: String?, maxSplit: Int = -1, fromEnd: Bool = false) -> [String] {
        let items = scalars(s)
        var pieces: [String] = []
        func full() -> Bool { maxSplit >= 0 && pieces.count == maxSplit }
        guard let separator else {
            if fromEnd {
                var end = items.count
                while true {
                    while end > 0 && isSpace(items[end - 1]) { end -= 1 }
                    if end == 0 { break }
                    if full() {
                        pieces.append(string(items[..<end]))
                        break
                    }
                    var start = end
                    while start > 0 && !isSpace(items[start - 1]) { start -= 1 }
                    pieces.append(string(items[start..<end]))
                    end = start
                }
                return pieces.reversed()
            }
            var start = 0
            while true {
                while start < items.count && isSpace(items[start]) { start += 1 }
                if start == items.count { break }
                if full() {
                    pieces.append(string(items[start...]))
                    break
                }
                var end = start
                while end < items.count && !isSpace(items[end]) { end += 1 }
                pieces.append(string(items[start..<end]))
                start = end
            }
            return pieces
        }
        let needle = scalars(separator)
        if fromEnd {
            var end = items.count
            while !full(), let j = find(items, needle, upTo: end, last: true) {
                pieces.append(string(items[(j + needle.count)..<end]))
                end = j
            }
            pieces.append(string(items[..<end]))
            return pieces.reversed()
        }
        var start = 0
        while !full(), let j = find(items, needle, from: start) {
            pieces.append(string(items[start..<j]))
            start = j + needle.count
        }
        pieces.append(string(items[start...]))
        return pieces
    }

    /// `str.splitlines()`: breaks at every line boundary Python knows, `\r\n` counting once.
    static func splitLines(_ s: String) -> [String] {
        let items = scalars(s)
        var lines: [String] = []
        var start = 0
        var i = 0
        while i < items.count {
            switch items[i].value {
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029, 0x0D:
                lines.append(string(items[start..<i]))
                if items[i] == "\r", i + 1 < items.count, items[i + 1] == "\n" { i += 1 }
                start = i + 1
            default: break
            }
            i += 1
        }
        if start < items.count { lines.append(string(items[start...])) }
        return lines
    }

    /// `str.capitalize()`: the first code point upper-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        let items = scalars(s)
        guard let first = items.first else { return "" }
        return String(first).uppercased() + string(items.dropFirst()).lowercased()
    }

    /// `str.title()`: a letter after a letter is lower-cased, any other letter upper-cased.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            let cased = c.properties.isCased
            out += cased ? (previousCased ? String(c).lowercased() : String(c).uppercased()) : String(c)
            previousCased = cased
        }
        return out
    }

    /// Whether every code point passes `test` (and there is at least one), as `isdigit` and
    /// friends answer.
    static func all(_ s: String, _ test: (Unicode.Scalar) -> Bool) -> Bool {
        !s.unicodeScalars.isEmpty && s.unicodeScalars.allSatisfy(test)
    }

    /// `str.islower()` / `isupper()`: some cased code point, and none of the other case.
    static func isCase(_ s: String, upper: Bool) -> Bool {
        var sawCased = false
        for c in s.unicodeScalars where c.properties.isCased {
            if upper ? c.properties.isLowercase : c.properties.isUppercase { return false }
            sawCased = true
        }
        return sawCased
    }

    /// The widest padding the interpreter makes, so no template can ask for gigabytes.
    static let maxWidth = 1 << 16

    /// `str.center(width, fill)`, `ljust`, `rjust`.
    static func pad(_ s: String, width: Int, fill: Unicode.Scalar, alignment: Alignment) throws(JinjaError) -> String {
        guard width <= maxWidth else { throw .type("padding to \(width) characters is more than the \(maxWidth) allowed") }
        let length = s.unicodeScalars.count
        guard width > length else { return s }
        let total = width - length
        let left: Int
        switch alignment {
        case .left: left = 0
        case .right: left = total
        // Python puts the odd extra space on the left when the width is odd.
        case .center: left = total / 2 + (total & width & 1)
        }
        return String(repeating: String(fill), count: left) + s + String(repeating: String(fill), count: total - left)
    }

    enum Alignment {
        case left, right, center
    }
}
