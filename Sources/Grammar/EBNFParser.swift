extension Grammar {
    /// A grammar in GBNF (llama.cpp's `grammars/README.md`) or xgrammar's EBNF, the common subset
    /// of both:
    ///
    /// - rules `name ::= body`; names of letters, digits, `-` and `_`; a rule ends where the next
    ///   `name ::=` begins, so bodies may span lines;
    /// - alternation `|`, grouping `( )` (an empty group is the empty string), repetition `*` `+`
    ///   `?` `{m}` `{m,}` `{m,n}` `{,n}`;
    /// - string literals `"..."` and character classes `[a-z]`, `[^...]` (`[^]` is any character)
    ///   with escapes `\n \t \r \\ \" \' \[ \] \- \^ \/ \b \f \v \0 \xHH \uHHHH \UHHHHHHHH`;
    /// - `.`: any character, newline included (unlike a regex's `.`);
    /// - `#` comments to the end of the line.
    ///
    /// Terminals are Unicode characters, matched as their UTF-8 bytes (`\xFF` is U+00FF, two
    /// bytes). Left recursion (`expr ::= expr "+" term`) is refused: the matcher is a pushdown
    /// automaton, so write it as repetition (`expr ::= term ("+" term)*`). llama.cpp's token
    /// references (`<[id]>`), xgrammar's rule options, macros and lookahead assertions are refused
    /// too. Errors give the line and column (1-based, in characters) of the problem.
    public static func ebnf(_ source: String, root: String = "root") throws(GrammarError) -> Grammar {
        var parser = EBNFParser(source)
        return try parser.grammar(root: root)
    }
}

/// A recursive-descent reader of EBNF source (see `Grammar.ebnf`).
struct EBNFParser {
    /// Groups nested deeper than this are refused (the parser recurses once per level).
    static let maxNesting = 64
    /// Larger repetition bounds are refused outright; smaller ones may still exceed the compile
    /// budget.
    static let maxRepetition = 1_000_000

    private let text: [Unicode.Scalar]
    private var index = 0
    private var nesting = 0
    private var names: [String] = []
    private var bodies: [GrammarExpression?] = []
    private var definedAt: [(line: Int, column: Int)] = []
    private var ruleIndex: [String: Int] = [:]
    private var firstUse: [String: Int] = [:]

    init(_ source: String) {
        text = Array(source.unicodeScalars)
    }

    mutating func grammar(root: String) throws(GrammarError) -> Grammar {
        skipSpace()
        while index < text.count {
            let start = index
            guard let name = readName() else { throw error("expected a rule name") }
            skipSpace()
            if peek() == "[" { throw error("rule options (name[...] ::=) are not supported") }
            guard take("::=") else { throw error("expected ::= after rule name \"\(name)\"") }
            let slot = self.slot(for: name)
            if bodies[slot] != nil { throw error("rule \"\(name)\" is defined twice", at: start) }
            definedAt[slot] = position(of: start)
            bodies[slot] = try alternatives()
            if index < text.count, peek() != nil, !atRuleStart() {
                throw error(peek() == ")" ? "unbalanced ')'" : "unexpected \"\(peek()!)\"")
            }
        }
        for (name, use) in firstUse where bodies[ruleIndex[name]!] == nil {
            throw error("rule \"\(name)\" is used but not defined", at: use)
        }
        guard let rootIndex = ruleIndex[root], bodies[rootIndex] != nil else {
            throw GrammarError.ebnf(line: 1, column: 1, reason: "no rule named \"\(root)\" (the root rule)")
        }
        let grammar = Grammar(
            rules: names.indices.map { Grammar.Rule(name: names[$0], body: bodies[$0]!) }, root: rootIndex)
        let analysis = GrammarAnalysis(grammar)
        if let cycle = analysis.leftRecursion() {
            let at = definedAt[cycle[0]]
            let path = cycle.map { "\"\(names[$0])\"" }.joined(separator: " -> ")
            throw GrammarError.ebnf(
                line: at.line, column: at.column,
                reason: "left recursion (\(path)) is not supported; use repetition instead")
        }
        if !analysis.productive[rootIndex] {
            let at = definedAt[rootIndex]
            throw GrammarError.ebnf(line: at.line, column: at.column, reason: "rule \"\(root)\" matches no string")
        }
        return grammar
    }

    // MARK: Expressions

    private mutating func alternatives() throws(GrammarError) -> GrammarExpression {
        var options = [try sequence()]
        while peek() == "|" {
            index += 1
            skipSpace()
            options.append(try sequence())
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    private mutating func sequence() throws(GrammarError) -> GrammarExpression {
        var parts: [GrammarExpression] = []
        while let c = peek(), c != "|", c != ")", !atRuleStart() {
            var element = try self.element()
            element = try quantified(element)
            parts.append(element)
        }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    private mutating func element() throws(GrammarError) -> GrammarExpression {
        let start = index
        switch peek()! {
        case "\"":
            index += 1
            return .literal(try stringBody(start: start))
        case "[":
            index += 1
            return try characterClass(start: start).utf8
        case ".":
            index += 1
            skipSpace()
            return CodePointSet.all.utf8
        case "(":
            index += 1
            if index < text.count, text[index] == "=" {
                throw error("lookahead assertions (= ...) are not supported", at: start)
            }
            nesting += 1
            if nesting > Self.maxNesting { throw error("groups nest more than \(Self.maxNesting) deep", at: start) }
            skipSpace()
            let inner = try alternatives()
            guard peek() == ")" else { throw error("unbalanced '(': expected ')'", at: start) }
            index += 1
            nesting -= 1
            skipSpace()
            return inner
        case "<", "!":
            throw error("token references (<...>, !<...>) are not supported")
        case "]":
            throw error("unbalanced ']'")
        case "}":
            throw error("unbalanced '}'")
        case "*", "+", "?", "{":
            throw error("a repetition operator must follow an element")
        default:
            guard let name = readName() else { throw error("unexpected \"\(peek()!)\"") }
            if index < text.count, text[index] == "(" {
                throw error("macros (\(name)(...)) are not supported", at: start)
            }
            skipSpace()
            let slot = self.slot(for: name)
            if firstUse[name] == nil { firstUse[name] = start }
            return .reference(slot)
        }
    }

    private mutating func quantified(_ element: GrammarExpression) throws(GrammarError) -> GrammarExpression {
        let start = index
        let result: GrammarExpression
        switch peek() {
        case "*": index += 1; result = .repetition(element, min: 0, max: nil)
        case "+": index += 1; result = .repetition(element, min: 1, max: nil)
        case "?": index += 1; result = .repetition(element, min: 0, max: 1)
        case "{":
            index += 1
            skipSpace()
            let low = peek() == "," ? 0 : try number()
            var high: Int? = low
            skipSpace()
            if peek() == "," {
                index += 1
                skipSpace()
                high = peek() == "}" ? nil : try number()
                skipSpace()
            }
            guard peek() == "}" else { throw error("expected '}' to close the repetition", at: start) }
            index += 1
            if let high, high < low {
                throw error("repetition {\(low),\(high)}: the upper bound is below the lower", at: start)
            }
            result = .repetition(element, min: low, max: high)
        default:
            return element
        }
        skipSpace()
        if let c = peek(), "*+?{".unicodeScalars.contains(c) {
            throw error("two repetition operators in a row; wrap the repeated element in parentheses first")
        }
        return result
    }

    private mutating func number() throws(GrammarError) -> Int {
        let start = index
        var value = 0
        while index < text.count, let d = Self.digit(text[index], radix: 10) {
            value = value * 10 + Int(d)
            if value > Self.maxRepetition {
                throw error("repetition bound above \(Self.maxRepetition)", at: start)
            }
            index += 1
        }
        guard index > start else { throw error("expected a number in the repetition") }
        return value
    }

    /// The bytes of a string literal after its opening quote.
    private mutating func stringBody(start: Int) throws(GrammarError) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            guard index < text.count else { throw error("unterminated string literal", at: start) }
            let c = text[index]
            if c == "\"" {
                index += 1
                skipSpace()
                return out
            }
            if c == "\n" || c == "\r" { throw error("newline inside a string literal; write \\n", at: index) }
            if c == "\\" {
                out.append(contentsOf: CodePointSet.utf8Bytes(try escape()))
            } else {
                out.append(contentsOf: CodePointSet.utf8Bytes(c.value))
                index += 1
            }
        }
    }

    private mutating func characterClass(start: Int) throws(GrammarError) -> CodePointSet {
        var negated = false
        if index < text.count, text[index] == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard index < text.count else { throw error("unbalanced '[': expected ']'", at: start) }
            let c = text[index]
            if c == "]" { break }
            if c == "\n" || c == "\r" { throw error("newline inside a character class; write \\n", at: index) }
            let lowAt = index
            let low = try classCharacter()
            if index + 1 < text.count, text[index] == "-", text[index + 1] != "]" {
                index += 1
                let high = try classCharacter()
                guard low <= high else { throw error("character range is backwards", at: lowAt) }
                ranges.append(low...high)
            } else {
                ranges.append(low...low)
            }
        }
        index += 1
        skipSpace()
        if ranges.isEmpty && !negated { throw error("empty character class []", at: start) }
        let set = CodePointSet(ranges)
        return negated ? set.inverted() : set
    }

    private mutating func classCharacter() throws(GrammarError) -> UInt32 {
        let c = text[index]
        if c == "\\" { return try escape() }
        index += 1
        return c.value
    }

    /// An escape sequence at `index` (the backslash), as a code point.
    private mutating func escape() throws(GrammarError) -> UInt32 {
        let start = index
        index += 1
        guard index < text.count else { throw error("unterminated escape", at: start) }
        let c = text[index]
        index += 1
        switch c {
        case "n": return 0x0A
        case "t": return 0x09
        case "r": return 0x0D
        case "b": return 0x08
        case "f": return 0x0C
        case "v": return 0x0B
        case "a": return 0x07
        case "e": return 0x1B
        case "0": return 0x00
        case "\\", "\"", "'", "[", "]", "-", "^", "/", "?", ".", "*", "+", "(", ")", "{", "}", "|", "$": return c.value
        case "x": return try hex(count: 2, start: start)
        case "u": return try hex(count: 4, start: start)
        case "U": return try hex(count: 8, start: start)
        default: throw error("unknown escape \\\(c)", at: start)
        }
    }

    private mutating func hex(count: Int, start: Int) throws(GrammarError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard index < text.count, let d = Self.digit(text[index], radix: 16) else {
                throw error("expected \(count) hex digits in the escape", at: start)
            }
            value = value << 4 | d
            index += 1
        }
        guard value <= CodePointSet.maxScalar, !CodePointSet.surrogates.contains(value) else {
            throw error("escape is not a Unicode scalar value", at: start)
        }
        return value
    }

    // MARK: Lexical helpers

    private mutating func slot(for name: String) -> Int {
        if let i = ruleIndex[name] { return i }
        ruleIndex[name] = names.count
        names.append(name)
        bodies.append(nil)
        definedAt.append((1, 1))
        return names.count - 1
    }

    private static func isNameScalar(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    /// The value of an ASCII digit in `radix` (10 or 16).
    static func digit(_ c: Unicode.Scalar, radix: UInt32) -> UInt32? {
        switch c {
        case "0"..."9": return c.value - 0x30
        case "a"..."f" where radix == 16: return c.value - 0x61 + 10
        case "A"..."F" where radix == 16: return c.value - 0x41 + 10
        default: return nil
        }
    }

    private mutating func readName() -> String? {
        let start = index
        while index < text.count, Self.isNameScalar(text[index]) { index += 1 }
        guard index > start else { return nil }
        var name = ""
        name.unicodeScalars.append(contentsOf: text[start..<index])
        return name
    }

    /// Whether a rule definition (`name ::=`) starts at the current token.
    private func atRuleStart() -> Bool {
        var i = index
        while i < text.count, Self.isNameScalar(text[i]) { i += 1 }
        guard i > index else { return false }
        while i < text.count, text[i] == " " || text[i] == "\t" || text[i] == "\n" || text[i] == "\r" { i += 1 }
        return i + 2 < text.count && text[i] == ":" && text[i + 1] == ":" && text[i + 2] == "="
            || (i < text.count && text[i] == "[" && Self.optionsThenAssign(text, from: i))
    }

    /// `name[...] ::=`: xgrammar's rule options, recognised only to refuse them clearly.
    private static func optionsThenAssign(_ text: [Unicode.Scalar], from start: Int) -> Bool {
        guard let close = text[start...].firstIndex(of: "]") else { return false }
        var i = close + 1
        while i < text.count, text[i] == " " || text[i] == "\t" { i += 1 }
        return i + 2 < text.count && text[i] == ":" && text[i + 1] == ":" && text[i + 2] == "="
    }

    private func peek() -> Unicode.Scalar? {
        index < text.count ? text[index] : nil
    }

    private mutating func take(_ s: String) -> Bool {
        let scalars = Array(s.unicodeScalars)
        guard index + scalars.count <= text.count, Array(text[index..<index + scalars.count]) == scalars else {
            return false
        }
        index += scalars.count
        skipSpace()
        return true
    }

    /// Skips whitespace (newlines included) and `#` comments.
    private mutating func skipSpace() {
        while index < text.count {
            let c = text[index]
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                index += 1
            } else if c == "#" {
                while index < text.count, text[index] != "\n" { index += 1 }
            } else {
                return
            }
        }
    }

    private func position(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for c in text[..<min(offset, text.count)] {
            if c == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    private func error(_ reason: String, at offset: Int? = nil) -> GrammarError {
        let (line, column) = position(of: offset ?? index)
        return .ebnf(line: line, column: column, reason: reason)
    }
}
