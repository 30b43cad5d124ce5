/// Splits a template into text and tags, applying Jinja's whitespace control the way Hugging
/// Face configures it: `trim_blocks` (a block tag eats the newline after it), `lstrip_blocks`
/// (indentation before a block tag on its own line is dropped) and the `-` markers.
struct JinjaLexer {
    enum Token: Equatable {
        case text(String)
        /// `{{ ... }}`: the expression's tokens.
        case output([ExpressionToken], line: Int)
        /// `{% ... %}`: the statement's tokens.
        case statement([ExpressionToken], line: Int)
    }

    enum ExpressionToken: Equatable {
        case name(String)
        case string(String)
        case int(Int)
        case double(Double)
        case op(String)
    }

    private enum Raw {
        case text(String)
        case tag(kind: Character, body: String, trimBefore: Bool, trimAfter: Bool, keepBefore: Bool, keepAfter: Bool, line: Int)
    }

    static func tokenize(_ source: String) throws(JinjaError) -> [Token] {
        // Jinja reads every line break as "\n" and drops one at the very end of a template
        // (keep_trailing_newline=False).
        var source = normalizingNewlines(source)
        if source.last == "\n" { source.removeLast() }
        let raws = try split(source)
        var tokens: [Token] = []
        for (index, raw) in raws.enumerated() {
            switch raw {
            case .text(let original):
                var text = Substring(original)
                // lstrip_blocks, judged on the text as written: indentation between a line start
                // (or the template start) and a following block tag is dropped.
                var tailToStrip = 0
                if index + 1 < raws.count, case .tag(let kind, _, let trimBefore, _, let keepBefore, _, _) = raws[index + 1] {
                    let tail = original.reversed().prefix { $0 == " " || $0 == "\t" }.count
                    let before = original.dropLast(tail)
                    let atLineStart = before.isEmpty ? index == 0 : before.last == "\n"
                    if trimBefore {
                        tailToStrip = original.reversed().prefix { $0.isWhitespace }.count
                    } else if kind != "{" && !keepBefore && atLineStart {
                        tailToStrip = tail
                    }
                }
                var head = 0
                if index > 0, case .tag(let kind, _, _, let trimAfter, _, let keepAfter, _) = raws[index - 1] {
                    if trimAfter {
                        head = original.prefix { $0.isWhitespace }.count
                    } else if kind != "{" && !keepAfter {
                        // trim_blocks: a block tag or comment eats the one newline after it.
                        head = original.first == "\n" ? 1 : 0
                    }
                }
                let end = max(head, original.count - tailToStrip)
                text = text.dropFirst(head).prefix(end - head)
                if !text.isEmpty { tokens.append(.text(String(text))) }
            case .tag(let kind, let body, _, _, _, _, let line):
                switch kind {
                case "{": tokens.append(.output(try lexExpression(body, line: line), line: line))
                case "%": tokens.append(.statement(try lexExpression(body, line: line), line: line))
                default: break  // comment
                }
            }
        }
        return tokens
    }

    private static func split(_ source: String) throws(JinjaError) -> [Raw] {
        var raws: [Raw] = []
        var text = ""
        var i = source.startIndex
        var line = 1
        func peek(_ offset: Int) -> Character? {
            source.index(i, offsetBy: offset, limitedBy: source.endIndex).flatMap { $0 < source.endIndex ? source[$0] : nil }
        }
        while i < source.endIndex {
            let c = source[i]
            guard c == "{", let next = peek(1), next == "{" || next == "%" || next == "#" else {
                if c == "\n" { line += 1 }
                text.append(c)
                i = source.index(after: i)
                continue
            }
            let tagLine = line
            let close: String = next == "{" ? "}}" : (next == "%" ? "%}" : "#}")
            var start = source.index(i, offsetBy: 2)
            var trimBefore = false
            var keepBefore = false
            if start < source.endIndex, source[start] == "-" || source[start] == "+" {
                trimBefore = source[start] == "-"
                keepBefore = source[start] == "+"
                start = source.index(after: start)
            }
            guard let end = findClose(source, from: start, close: close, isComment: next == "#") else {
                throw .syntax("unclosed \(String([c, next])) tag", line: tagLine)
            }
            var bodyEnd = end
            var trimAfter = false
            var keepAfter = false
            if bodyEnd > start {
                let before = source[source.index(before: bodyEnd)]
                if before == "-" || before == "+" {
                    trimAfter = before == "-"
                    keepAfter = before == "+"
                    bodyEnd = source.index(before: bodyEnd)
                }
            }
            let body = String(source[start..<bodyEnd])
            line += body.filter { $0 == "\n" }.count
            if !text.isEmpty {
                raws.append(.text(text))
                text = ""
            }
            raws.append(.tag(
                kind: next, body: body, trimBefore: trimBefore, trimAfter: trimAfter, keepBefore: keepBefore,
                keepAfter: keepAfter, line: tagLine))
            i = source.index(end, offsetBy: 2)
            // {% raw %} ... {% endraw %}: everything up to endraw is text.
            if next == "%", body.trimmingWhitespace() == "raw" {
                guard let rawEnd = findEndRaw(source, from: i) else {
                    throw .syntax("{% raw %} without {% endraw %}", line: tagLine)
                }
                raws.removeLast()
                raws.append(.text(String(source[i..<rawEnd.lowerBound])))
                line += source[i..<rawEnd.lowerBound].filter { $0 == "\n" }.count
                i = rawEnd.upperBound
            }
        }
        if !text.isEmpty { raws.append(.text(text)) }
        return raws
    }

    /// The range of the next `{% endraw %}` tag (with optional `-`/`+` markers).
    private static func findEndRaw(_ s: String, from: String.Index) -> Range<String.Index>? {
        var i = from
        while let open = s[i...].firstRange(of: "{%") {
            guard let close = s[open.upperBound...].firstRange(of: "%}") else { return nil }
            let body = s[open.upperBound..<close.lowerBound].trimmingWhitespace()
            let core = body.drop { $0 == "-" || $0 == "+" }.reversed().drop { $0 == "-" || $0 == "+" }.reversed()
            if String(core).trimmingWhitespace() == "endraw" { return open.lowerBound..<close.upperBound }
            i = close.upperBound
        }
        return nil
    }

    /// The index of the closing delimiter, skipping over string literals inside expressions.
    private static func findClose(_ s: String, from: String.Index, close: String, isComment: Bool) -> String.Index? {
        var i = from
        var quote: Character?
        while i < s.endIndex {
            let c = s[i]
            if let q = quote {
                if c == "\\" {
                    i = s.index(after: i)
                } else if c == q {
                    quote = nil
                }
            } else if !isComment && (c == "'" || c == "\"") {
                quote = c
            } else if s[i...].hasPrefix(close) {
                return i
            }
            if i < s.endIndex { i = s.index(after: i) }
        }
        return nil
    }

    static func lexExpression(_ body: String, line: Int) throws(JinjaError) -> [ExpressionToken] {
        var tokens: [ExpressionToken] = []
        let chars = Array(body)
        var i = 0
        let operators = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"]
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "'" || c == "\"" {
                var value = ""
                i += 1
                while i < chars.count && chars[i] != c {
                    if chars[i] == "\\" && i + 1 < chars.count {
                        i += 1
                        value.unicodeScalars.append(contentsOf: try unescape(chars, &i, line: line))
                    } else {
                        value.append(chars[i])
                        i += 1
                    }
                }
                guard i < chars.count else { throw .syntax("unterminated string", line: line) }
                i += 1
                tokens.append(.string(value))
            } else if c.isNumber && c.isASCII {
                var j = i
                while j < chars.count && (chars[j].isNumber && chars[j].isASCII || chars[j] == "_") { j += 1 }
                var isFloat = false
                if j + 1 < chars.count && chars[j] == "." && chars[j + 1].isNumber {
                    isFloat = true
                    j += 1
                    while j < chars.count && chars[j].isNumber && chars[j].isASCII { j += 1 }
                }
                if j < chars.count && (chars[j] == "e" || chars[j] == "E") {
                    var k = j + 1
                    if k < chars.count && (chars[k] == "+" || chars[k] == "-") { k += 1 }
                    if k < chars.count && chars[k].isNumber {
                        isFloat = true
                        j = k
                        while j < chars.count && chars[j].isNumber && chars[j].isASCII { j += 1 }
                    }
                }
                let text = String(chars[i..<j]).replacing("_", with: "")
                if isFloat {
                    tokens.append(.double(Double(text) ?? 0))
                } else {
                    guard let value = Int(text) else { throw .syntax("number \(text) is too large", line: line) }
                    tokens.append(.int(value))
                }
                i = j
            } else if c.isLetter || c == "_" {
                var j = i
                while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_") { j += 1 }
                tokens.append(.name(String(chars[i..<j])))
                i = j
            } else if let op = operators.first(where: { op in
                op.count <= chars.count - i && String(chars[i..<(i + op.count)]) == op
            }) {
                tokens.append(.op(op))
                i += op.count
            } else {
                throw .syntax("unexpected character '\(c)'", line: line)
            }
        }
        return tokens
    }
}

/// Python's `unicode-escape` decoding of the escape after a backslash at `chars[i]`, which jinja2
/// applies to string literals: `\n`, `\t`, `\xhh`, `\uhhhh`, `\Uhhhhhhhh`, octal; an unknown
/// escape keeps its backslash. Leaves `i` after the escape.
private func unescape(_ chars: [Character], _ i: inout Int, line: Int) throws(JinjaError) -> [Unicode.Scalar] {
    let c = chars[i]
    i += 1
    switch c {
    case "n": return ["\n"]
    case "t": return ["\t"]
    case "r": return ["\r"]
    case "a": return ["\u{07}"]
    case "b": return ["\u{08}"]
    case "f": return ["\u{0C}"]
    case "v": return ["\u{0B}"]
    case "\\", "'", "\"": return Array(c.unicodeScalars)
    case "\n": return []
    case "x", "u", "U":
        let width = c == "x" ? 2 : c == "u" ? 4 : 8
        guard i + width <= chars.count, let code = UInt32(String(chars[i..<(i + width)]), radix: 16),
            let scalar = Unicode.Scalar(code)
        else { throw .syntax("invalid \\\(c) escape in a string", line: line) }
        i += width
        return [scalar]
    case "0"..."7":
        var code = UInt32(String(c))!
        var digits = 1
        while digits < 3, i < chars.count, let d = chars[i].wholeNumberValue, d < 8, chars[i].isASCII {
            code = code * 8 + UInt32(d)
            digits += 1
            i += 1
        }
        return [Unicode.Scalar(code)!]
    case "N": throw .unsupported("\\N{...} escapes", line: line)
    default: return ["\\"] + Array(c.unicodeScalars)
    }
}

/// `source` with "\r\n" and lone "\r" read as "\n", as jinja2's lexer reads line breaks.
private func normalizingNewlines(_ source: String) -> String {
    guard source.unicodeScalars.contains("\r") else { return source }
    var out = String.UnicodeScalarView()
    var previousWasCR = false
    for c in source.unicodeScalars {
        if c == "\r" {
            out.append("\n")
            previousWasCR = true
            continue
        }
        if !(c == "\n" && previousWasCR) { out.append(c) }
        previousWasCR = false
    }
    return String(out)
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
