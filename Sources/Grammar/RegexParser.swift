extension Grammar {
    /// Output that fully matches the regular expression `pattern` (as Python's `re.fullmatch`).
    ///
    /// Supported: literals and escaped metacharacters; `\n \t \r \f \v \0 \xHH \uHHHH \u{H...}`;
    /// `.` (any character except `\n`); classes `[...]` with ranges and `^` negation (`[^]` is any
    /// character, `[]` none); `\d \w \s \D \W \S` with ECMAScript's meaning (`\d` is `[0-9]`, `\w`
    /// is `[A-Za-z0-9_]`, `\s` is ECMAScript's whitespace set); groups `( )`, `(?: )`, `(?<n> )`,
    /// `(?P<n> )` (all plain groups); `|`; `* + ? {m} {m,} {m,n} {,n}` and their lazy forms (same
    /// language); `^` and `$` only at the start and end of the pattern (or of one of its top-level
    /// alternatives). A `{` that does not start a repetition is a literal, as in ECMAScript.
    ///
    /// Refused, with the construct and its offset (0-based, in Unicode scalars): backreferences,
    /// lookahead and lookbehind, word boundaries, inline flags, atomic groups, possessive
    /// quantifiers, Unicode property classes, POSIX classes, anchors anywhere else.
    public static func regex(_ pattern: String) throws(GrammarError) -> Grammar {
        let parsed = try RegexParser.parse(pattern)
        return Grammar(name: "regex", parsed.node.utf8)
    }
}

/// A parsed regular expression over Unicode scalars, before it is lowered to bytes.
indirect enum RegexNode: Sendable {
    case characters(CodePointSet)
    case sequence([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?)

    /// The expression over UTF-8 bytes.
    var utf8: GrammarExpression {
        lowered { $0.utf8 }
    }

    /// The expression over the text of a JSON string literal's contents: each character spelled
    /// as it may appear between the quotes (`"`, `\` and control characters as their escapes).
    var jsonStringContent: GrammarExpression {
        lowered { JSONStringCharacters.expression(for: $0) }
    }

    private func lowered(_ characters: (CodePointSet) -> GrammarExpression) -> GrammarExpression {
        switch self {
        case .characters(let set): return characters(set)
        case .sequence(let parts): return .sequence(parts.map { $0.lowered(characters) })
        case .alternation(let parts): return .choice(parts.map { $0.lowered(characters) })
        case .repetition(let body, let min, let max): return .repetition(body.lowered(characters), min: min, max: max)
        }
    }
}

/// A recursive-descent reader of regular expressions (see `Grammar.regex`).
struct RegexParser {
    /// The pattern, and for each top-level alternative whether it is anchored at its start and
    /// end (matters only for search semantics, as a JSON Schema `pattern` has).
    struct Parsed {
        var node: RegexNode
        var alternatives: [(node: RegexNode, anchoredStart: Bool, anchoredEnd: Bool)]
    }

    static let maxNesting = 64
    static let maxRepetition = 1_000_000

    private let text: [Unicode.Scalar]
    private var index = 0
    private var nesting = 0

    static func parse(_ pattern: String) throws(GrammarError) -> Parsed {
        var parser = RegexParser(text: Array(pattern.unicodeScalars))
        var alternatives: [(node: RegexNode, anchoredStart: Bool, anchoredEnd: Bool)] = []
        while true {
            var anchoredStart = false
            if parser.peek() == "^" {
                anchoredStart = true
                parser.index += 1
            }
            var node = try parser.sequence()
            var anchoredEnd = false
            if parser.peek() == "$" {
                anchoredEnd = true
                parser.index += 1
            }
            if case .sequence(let parts) = node, parts.count == 1 { node = parts[0] }
            alternatives.append((node, anchoredStart, anchoredEnd))
            guard let c = parser.peek() else { break }
            if c == "|" {
                parser.index += 1
                continue
            }
            if c == ")" { throw parser.error("unbalanced ')'") }
            if c == "$" || c == "^" { throw parser.error("anchor \(c) in the middle of the pattern is not supported") }
            throw parser.error("unexpected \(c)")
        }
        let node = alternatives.count == 1 ? alternatives[0].node : .alternation(alternatives.map(\.node))
        return Parsed(node: node, alternatives: alternatives)
    }

    private init(text: [Unicode.Scalar]) {
        self.text = text
    }

    private mutating func alternation() throws(GrammarError) -> RegexNode {
        var options = [try sequence()]
        while peek() == "|" {
            index += 1
            options.append(try sequence())
        }
        return options.count == 1 ? options[0] : .alternation(options)
    }

    private mutating func sequence() throws(GrammarError) -> RegexNode {
        var parts: [RegexNode] = []
        while let c = peek(), c != "|", c != ")" {
            if c == "$" {
                if index == text.count - 1 || (nesting == 0 && next(1) == "|") { break }
                throw error("anchor $ in the middle of the pattern is not supported")
            }
            if c == "^" { throw error("anchor ^ in the middle of the pattern is not supported") }
            let atom = try self.atom()
            parts.append(try quantified(atom))
        }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    private mutating func atom() throws(GrammarError) -> RegexNode {
        let start = index
        let c = text[index]
        index += 1
        switch c {
        case ".":
            return .characters(CodePointSet([0...0x09, 0x0B...CodePointSet.maxScalar]))
        case "[":
            return .characters(try characterClass(start: start))
        case "(":
            try groupPrefix(start: start)
            nesting += 1
            if nesting > Self.maxNesting { throw error("groups nest more than \(Self.maxNesting) deep", at: start) }
            let inner = try alternation()
            guard peek() == ")" else { throw error("unbalanced '(': expected ')'", at: start) }
            index += 1
            nesting -= 1
            return inner
        case "\\":
            return .characters(try escape(start: start, inClass: false))
        case "*", "+", "?":
            throw error("nothing to repeat before \(c)", at: start)
        case "{":
            if quantifierAhead(at: start) { throw error("nothing to repeat before {", at: start) }
            return .characters(CodePointSet(scalar: c.value))
        case "]", "}":
            return .characters(CodePointSet(scalar: c.value))
        default:
            return .characters(CodePointSet(scalar: c.value))
        }
    }

    /// Reads what follows `(`: nothing, `?:`, a group name; refuses the other `(?` forms.
    private mutating func groupPrefix(start: Int) throws(GrammarError) {
        guard peek() == "?" else { return }
        index += 1
        switch peek() {
        case ":":
            index += 1
        case "<" where next(1) != "=" && next(1) != "!":
            index += 1
            try groupName(start: start)
        case "P" where next(1) == "<":
            index += 2
            try groupName(start: start)
        case "P" where next(1) == "=":
            throw error("backreferences ((?P=name)) are not supported", at: start)
        case "=", "!":
            throw error("lookahead ((?=...), (?!...)) is not supported", at: start)
        case "<":
            throw error("lookbehind ((?<=...), (?<!...)) is not supported", at: start)
        case ">":
            throw error("atomic groups ((?>...)) are not supported", at: start)
        case "#":
            throw error("comments ((?#...)) are not supported", at: start)
        default:
            throw error("inline flags and other (? constructs are not supported", at: start)
        }
    }

    private mutating func groupName(start: Int) throws(GrammarError) {
        while let c = peek(), c != ">" {
            guard c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" else {
                throw error("invalid group name", at: start)
            }
            index += 1
        }
        guard peek() == ">" else { throw error("unterminated group name", at: start) }
        index += 1
    }

    private mutating func quantified(_ atom: RegexNode) throws(GrammarError) -> RegexNode {
        var node = atom
        while let c = peek() {
            let start = index
            let bounds: (Int, Int?)
            switch c {
            case "*": index += 1; bounds = (0, nil)
            case "+": index += 1; bounds = (1, nil)
            case "?": index += 1; bounds = (0, 1)
            case "{" where quantifierAhead(at: index):
                bounds = try repetitionBounds()
            default:
                return node
            }
            if case .repetition = node, start > 0, Self.isQuantifierEnd(text[start - 1]) {
                throw error("a quantifier cannot follow another quantifier; group the repeated part first", at: start)
            }
            if peek() == "?" {
                index += 1  // lazy: the same language
            } else if peek() == "+" {
                throw error("possessive quantifiers are not supported", at: index)
            }
            node = .repetition(node, min: bounds.0, max: bounds.1)
        }
        return node
    }

    private static func isQuantifierEnd(_ c: Unicode.Scalar) -> Bool {
        c == "*" || c == "+" || c == "?" || c == "}"
    }

    /// Whether `{` at `at` starts `{m}`, `{m,}`, `{m,n}` or `{,n}`.
    private func quantifierAhead(at position: Int) -> Bool {
        var i = position + 1
        var digitsBefore = 0
        while i < text.count, ("0"..."9").contains(text[i]) {
            i += 1
            digitsBefore += 1
        }
        if i < text.count, text[i] == "}" { return digitsBefore > 0 }
        guard i < text.count, text[i] == "," else { return false }
        i += 1
        var digitsAfter = 0
        while i < text.count, ("0"..."9").contains(text[i]) {
            i += 1
            digitsAfter += 1
        }
        return i < text.count && text[i] == "}" && digitsBefore + digitsAfter > 0
    }

    private mutating func repetitionBounds() throws(GrammarError) -> (Int, Int?) {
        let start = index
        index += 1
        let low = peek() == "," ? 0 : try number()
        var high: Int? = low
        if peek() == "," {
            index += 1
            high = peek() == "}" ? nil : try number()
        }
        index += 1  // "}"
        if let high, high < low { throw error("repetition {\(low),\(high)}: the upper bound is below the lower", at: start) }
        return (low, high)
    }

    private mutating func number() throws(GrammarError) -> Int {
        let start = index
        var value = 0
        while let c = peek(), let d = EBNFParser.digit(c, radix: 10) {
            value = value * 10 + Int(d)
            if value > Self.maxRepetition { throw error("repetition bound above \(Self.maxRepetition)", at: start) }
            index += 1
        }
        return value
    }

    private mutating func characterClass(start: Int) throws(GrammarError) -> CodePointSet {
        var negated = false
        if peek() == "^" {
            negated = true
            index += 1
        }
        var set = CodePointSet.empty
        while true {
            guard let c = peek() else { throw error("unbalanced '[': expected ']'", at: start) }
            if c == "]" { break }
            if c == "[", next(1) == ":" { throw error("POSIX classes ([:name:]) are not supported", at: index) }
            let itemStart = index
            let low = try classItem()
            if peek() == "-", let after = next(1), after != "]", low.single != nil {
                index += 1
                let highStart = index
                let high = try classItem()
                guard let a = low.single, let b = high.single else {
                    throw error("a class shorthand cannot end a range", at: highStart)
                }
                guard a <= b else { throw error("character range is backwards", at: itemStart) }
                set = set.union(CodePointSet([a...b]))
            } else {
                set = set.union(low.set)
            }
        }
        index += 1
        return negated ? set.inverted() : set
    }

    /// One member of a class: a character (`single`) or a shorthand's set.
    private mutating func classItem() throws(GrammarError) -> (set: CodePointSet, single: UInt32?) {
        let start = index
        let c = text[index]
        index += 1
        guard c == "\\" else { return (CodePointSet(scalar: c.value), c.value) }
        let set = try escape(start: start, inClass: true)
        if set.ranges.count == 1, set.ranges[0].lowerBound == set.ranges[0].upperBound,
            !["d", "D", "w", "W", "s", "S"].contains(text[start + 1])
        {
            return (set, set.ranges[0].lowerBound)
        }
        return (set, nil)
    }

    /// The escape at `start` (the backslash; `index` is past it).
    private mutating func escape(start: Int, inClass: Bool) throws(GrammarError) -> CodePointSet {
        guard let c = peek() else { throw error("pattern ends with a lone backslash", at: start) }
        index += 1
        switch c {
        case "d": return Self.digits
        case "D": return Self.digits.inverted()
        case "w": return Self.word
        case "W": return Self.word.inverted()
        case "s": return Self.space
        case "S": return Self.space.inverted()
        case "n": return CodePointSet(scalar: 0x0A)
        case "t": return CodePointSet(scalar: 0x09)
        case "r": return CodePointSet(scalar: 0x0D)
        case "f": return CodePointSet(scalar: 0x0C)
        case "v": return CodePointSet(scalar: 0x0B)
        case "0" where !(peek().map { ("0"..."9").contains($0) } ?? false): return CodePointSet(scalar: 0)
        case "b" where inClass: return CodePointSet(scalar: 0x08)
        case "b", "B": throw error("word boundaries (\\b, \\B) are not supported", at: start)
        case "1"..."9": throw error("backreferences (\\\(c)) are not supported", at: start)
        case "k": throw error("backreferences (\\k<name>) are not supported", at: start)
        case "p", "P": throw error("Unicode property classes (\\\(c){...}) are not supported", at: start)
        case "A", "Z", "z", "G": throw error("anchor \\\(c) is not supported; use ^ and $", at: start)
        case "x": return CodePointSet(scalar: try hex(count: 2, start: start))
        case "u":
            if peek() == "{" {
                index += 1
                var value: UInt32 = 0
                var digits = 0
                while let h = peek(), let d = EBNFParser.digit(h, radix: 16) {
                    value = value &* 16 &+ d
                    digits += 1
                    index += 1
                    if digits > 6 { break }
                }
                guard digits > 0, digits <= 6, peek() == "}" else { throw error("malformed \\u{...} escape", at: start) }
                index += 1
                return try scalarSet(value, start: start)
            }
            return try scalarSet(try hex(count: 4, start: start), start: start)
        default:
            guard !c.properties.isAlphabetic, !("0"..."9").contains(c) else {
                throw error("unknown escape \\\(c)", at: start)
            }
            return CodePointSet(scalar: c.value)
        }
    }

    private func scalarSet(_ value: UInt32, start: Int) throws(GrammarError) -> CodePointSet {
        guard value <= CodePointSet.maxScalar, !CodePointSet.surrogates.contains(value) else {
            throw error("escape is not a Unicode scalar value", at: start)
        }
        return CodePointSet(scalar: value)
    }

    private mutating func hex(count: Int, start: Int) throws(GrammarError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let c = peek(), let d = EBNFParser.digit(c, radix: 16) else {
                throw error("expected \(count) hex digits in the escape", at: start)
            }
            value = value << 4 | d
            index += 1
        }
        return value
    }

    static let digits = CodePointSet([0x30...0x39])
    static let word = CodePointSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// ECMAScript's `\s`: white space and line terminators.
    static let space = CodePointSet([
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029, 0x202F...0x202F,
        0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ])

    private func peek() -> Unicode.Scalar? {
        index < text.count ? text[index] : nil
    }

    private func next(_ offset: Int) -> Unicode.Scalar? {
        index + offset < text.count ? text[index + offset] : nil
    }

    private func error(_ reason: String, at offset: Int? = nil) -> GrammarError {
        .regex(offset: offset ?? index, reason: reason)
    }
}
