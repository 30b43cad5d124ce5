/// A parsed template: statements and the expressions inside them.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpression)
    case forLoop(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode], otherwise: [JinjaNode])
    case conditional(branches: [(JinjaExpression, [JinjaNode])], otherwise: [JinjaNode])
    case assign(target: [String], attribute: String?, value: JinjaExpression)
    case assignBlock(name: String, body: [JinjaNode])
    case macro(name: String, parameters: [(String, JinjaExpression?)], body: [JinjaNode])
    case filterBlock(name: String, arguments: [JinjaExpression], body: [JinjaNode])
    case breakLoop
    case continueLoop
}

indirect enum JinjaExpression: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpression])
    case dict([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String)
    case index(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
    case call(JinjaExpression, arguments: [JinjaExpression], keywords: [(String, JinjaExpression)])
    case filter(JinjaExpression, name: String, arguments: [JinjaExpression], keywords: [(String, JinjaExpression)])
    case test(JinjaExpression, name: String, arguments: [JinjaExpression], negated: Bool)
    case not(JinjaExpression)
    case negate(JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    case and(JinjaExpression, JinjaExpression)
    case or(JinjaExpression, JinjaExpression)
    case ternary(then: JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
}

/// Recursive descent over the lexer's tokens, with Jinja's operator precedence (filters and
/// tests bind tighter than arithmetic: `a + b | trim` trims `b`).
struct JinjaParser {
    private var tokens: [JinjaLexer.Token]
    private var position = 0

    static func parse(_ source: String) throws(JinjaError) -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let (nodes, end) = try parser.parseBlock(until: [])
        if let end { throw .syntax("unexpected {% \(end.keyword) %}", line: end.line) }
        return nodes
    }

    private init(tokens: [JinjaLexer.Token]) {
        self.tokens = tokens
    }

    /// The statement that ended a block: its keyword and the rest of its tokens.
    private struct BlockEnd {
        var keyword: String
        var rest: [JinjaLexer.ExpressionToken]
        var line: Int
    }

    /// Nodes up to a statement whose keyword is in `terminators` (returned, consumed), or the end.
    private mutating func parseBlock(until terminators: Set<String>) throws(JinjaError) -> ([JinjaNode], BlockEnd?) {
        var nodes: [JinjaNode] = []
        while position < tokens.count {
            let token = tokens[position]
            position += 1
            switch token {
            case .text(let text):
                nodes.append(.text(text))
            case .output(let expression, let line):
                var stream = ExpressionStream(tokens: expression, line: line)
                nodes.append(.output(try stream.parseExpression()))
                try stream.expectEnd()
            case .statement(let statement, let line):
                guard case .name(let keyword)? = statement.first else {
                    throw .syntax("a statement must start with a keyword", line: line)
                }
                let rest = Array(statement.dropFirst())
                if terminators.contains(keyword) {
                    return (nodes, BlockEnd(keyword: keyword, rest: rest, line: line))
                }
                nodes.append(try parseStatement(keyword, rest, line: line))
            }
        }
        if let closing = terminators.first(where: { $0.hasPrefix("end") }) ?? terminators.first {
            throw .syntax("missing {% \(closing) %}", line: lastLine)
        }
        return (nodes, nil)
    }

    private var lastLine: Int {
        for token in tokens.reversed() {
            switch token {
            case .output(_, let line), .statement(_, let line): return line
            case .text: continue
            }
        }
        return 1
    }

    private mutating func parseStatement(_ keyword: String, _ rest: [JinjaLexer.ExpressionToken], line: Int) throws(JinjaError) -> JinjaNode {
        var stream = ExpressionStream(tokens: rest, line: line)
        switch keyword {
        case "for":
            var targets = [try stream.name()]
            while stream.take(.op(",")) { targets.append(try stream.name()) }
            try stream.expect(.name("in"))
            let iterable = try stream.parseOr()
            var condition: JinjaExpression?
            if stream.take(.name("if")) { condition = try stream.parseOr() }
            if stream.take(.name("recursive")) { throw .unsupported("recursive loops", line: line) }
            try stream.expectEnd()
            let (body, end) = try parseBlock(until: ["else", "endfor"])
            var otherwise: [JinjaNode] = []
            if end?.keyword == "else" { otherwise = try parseBlock(until: ["endfor"]).0 }
            return .forLoop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise)
        case "if":
            var branches: [(JinjaExpression, [JinjaNode])] = []
            var condition = try stream.parseExpression()
            try stream.expectEnd()
            while true {
                let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                guard let end else { break }
                switch end.keyword {
                case "elif":
                    var next = ExpressionStream(tokens: end.rest, line: end.line)
                    condition = try next.parseExpression()
                    try next.expectEnd()
                case "else":
                    let otherwise = try parseBlock(until: ["endif"]).0
                    return .conditional(branches: branches, otherwise: otherwise)
                default:
                    return .conditional(branches: branches, otherwise: [])
                }
            }
            return .conditional(branches: branches, otherwise: [])
        case "set":
            var target = [try stream.name()]
            var attribute: String?
            if stream.take(.op(".")) {
                attribute = try stream.name()
            } else {
                while stream.take(.op(",")) { target.append(try stream.name()) }
            }
            if stream.atEnd {
                guard attribute == nil, target.count == 1 else { throw .syntax("a block set takes one name", line: line) }
                return .assignBlock(name: target[0], body: try parseBlock(until: ["endset"]).0)
            }
            try stream.expect(.op("="))
            let value = try stream.parseTupleOrExpression()
            try stream.expectEnd()
            return .assign(target: target, attribute: attribute, value: value)
        case "macro":
            let name = try stream.name()
            try stream.expect(.op("("))
            var parameters: [(String, JinjaExpression?)] = []
            while !stream.take(.op(")")) {
                let parameter = try stream.name()
                parameters.append((parameter, stream.take(.op("=")) ? try stream.parseExpression() : nil))
                if !stream.take(.op(",")) {
                    try stream.expect(.op(")"))
                    break
                }
            }
            try stream.expectEnd()
            return .macro(name: name, parameters: parameters, body: try parseBlock(until: ["endmacro"]).0)
        case "filter":
            let name = try stream.name()
            var arguments: [JinjaExpression] = []
            if stream.take(.op("(")) { arguments = try stream.parseArguments().0 }
            try stream.expectEnd()
            return .filterBlock(name: name, arguments: arguments, body: try parseBlock(until: ["endfilter"]).0)
        case "generation":
            // Hugging Face's marker for assistant-generated text; renders its body unchanged.
            return .conditional(branches: [(.literal(.bool(true)), try parseBlock(until: ["endgeneration"]).0)], otherwise: [])
        case "break":
            return .breakLoop
        case "continue":
            return .continueLoop
        case "include", "import", "from", "extends", "block", "call", "with", "autoescape", "do":
            throw .unsupported("{% \(keyword) %}", line: line)
        default:
            throw .syntax("unknown statement '\(keyword)'", line: line)
        }
    }
}

/// The tokens of one tag, consumed by the expression grammar.
struct ExpressionStream {
    let tokens: [JinjaLexer.ExpressionToken]
    let line: Int
    private var index = 0

    init(tokens: [JinjaLexer.ExpressionToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    var atEnd: Bool { index >= tokens.count }
    private var current: JinjaLexer.ExpressionToken? { atEnd ? nil : tokens[index] }

    mutating func take(_ token: JinjaLexer.ExpressionToken) -> Bool {
        guard current == token else { return false }
        index += 1
        return true
    }

    mutating func expect(_ token: JinjaLexer.ExpressionToken) throws(JinjaError) {
        guard take(token) else { throw .syntax("expected \(Self.describe(token)), found \(describeCurrent)", line: line) }
    }

    func expectEnd() throws(JinjaError) {
        guard atEnd else { throw .syntax("unexpected \(describeCurrent)", line: line) }
    }

    mutating func name() throws(JinjaError) -> String {
        guard case .name(let name)? = current else { throw .syntax("expected a name, found \(describeCurrent)", line: line) }
        index += 1
        return name
    }

    private var describeCurrent: String { current.map(Self.describe) ?? "the end of the tag" }

    private static func describe(_ token: JinjaLexer.ExpressionToken) -> String {
        switch token {
        case .name(let n): "'\(n)'"
        case .string(let s): "the string '\(s)'"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .op(let o): "'\(o)'"
        }
    }

    // MARK: Grammar, lowest precedence first

    mutating func parseTupleOrExpression() throws(JinjaError) -> JinjaExpression {
        let first = try parseExpression()
        guard current == .op(",") else { return first }
        var items = [first]
        while take(.op(",")) && !atEnd && current != .op(")") { items.append(try parseExpression()) }
        return .list(items)
    }

    mutating func parseExpression() throws(JinjaError) -> JinjaExpression {
        let value = try parseOr()
        guard take(.name("if")) else { return value }
        let condition = try parseOr()
        let otherwise = take(.name("else")) ? try parseExpression() : nil
        return .ternary(then: value, condition: condition, otherwise: otherwise)
    }

    mutating func parseOr() throws(JinjaError) -> JinjaExpression {
        var left = try parseAnd()
        while take(.name("or")) { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(JinjaError) -> JinjaExpression {
        var left = try parseNot()
        while take(.name("and")) { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(JinjaError) -> JinjaExpression {
        take(.name("not")) ? .not(try parseNot()) : try parseComparison()
    }

    private mutating func parseComparison() throws(JinjaError) -> JinjaExpression {
        var left = try parseAdditive()
        while true {
            if case .op(let op)? = current, ["==", "!=", "<", "<=", ">", ">="].contains(op) {
                index += 1
                left = .binary(op, left, try parseAdditive())
            } else if take(.name("in")) {
                left = .binary("in", left, try parseAdditive())
            } else if current == .name("not"), index + 1 < tokens.count, tokens[index + 1] == .name("in") {
                index += 2
                left = .not(.binary("in", left, try parseAdditive()))
            } else {
                return left
            }
        }
    }

    private mutating func parseAdditive() throws(JinjaError) -> JinjaExpression {
        var left = try parseConcatenation()
        while case .op(let op)? = current, op == "+" || op == "-" {
            index += 1
            left = .binary(op, left, try parseConcatenation())
        }
        return left
    }

    private mutating func parseConcatenation() throws(JinjaError) -> JinjaExpression {
        var left = try parseMultiplicative()
        while take(.op("~")) { left = .binary("~", left, try parseMultiplicative()) }
        return left
    }

    private mutating func parseMultiplicative() throws(JinjaError) -> JinjaExpression {
        var left = try parsePower()
        while case .op(let op)? = current, ["*", "/", "//", "%"].contains(op) {
            index += 1
            left = .binary(op, left, try parsePower())
        }
        return left
    }

    private mutating func parsePower() throws(JinjaError) -> JinjaExpression {
        var left = try parseUnary()
        while take(.op("**")) { left = .binary("**", left, try parseUnary()) }
        return left
    }

    /// A sign binds tighter than filters (`-2.5 | abs` is 2.5), as in jinja2.
    private mutating func parseUnary(withFilters: Bool = true) throws(JinjaError) -> JinjaExpression {
        let node: JinjaExpression
        if take(.op("-")) {
            node = try parsePostfix(.negate(try parseUnary(withFilters: false)))
        } else if take(.op("+")) {
            node = try parsePostfix(try parseUnary(withFilters: false))
        } else {
            node = try parsePostfix(try parsePrimary())
        }
        return withFilters ? try parseFilters(node) : node
    }

    private mutating func parsePrimary() throws(JinjaError) -> JinjaExpression {
        guard let token = current else { throw .syntax("expected an expression, found the end of the tag", line: line) }
        index += 1
        switch token {
        case .string(var s):
            while case .string(let next)? = current {  // adjacent literals concatenate
                s += next
                index += 1
            }
            return .literal(.string(s))
        case .int(let i): return .literal(.int(i))
        case .double(let d): return .literal(.double(d))
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name)
            }
        case .op("("):
            // `()` and `(x,)` are tuples, which templates use as lists.
            if take(.op(")")) { return .list([]) }
            let inner = try parseTupleOrExpression()
            try expect(.op(")"))
            return inner
        case .op("["):
            var items: [JinjaExpression] = []
            while !take(.op("]")) {
                items.append(try parseExpression())
                if !take(.op(",")) {
                    try expect(.op("]"))
                    break
                }
            }
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            while !take(.op("}")) {
                let key = try parseExpression()
                try expect(.op(":"))
                pairs.append((key, try parseExpression()))
                if !take(.op(",")) {
                    try expect(.op("}"))
                    break
                }
            }
            return .dict(pairs)
        default:
            throw .syntax("unexpected \(Self.describe(token))", line: line)
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        var node = base
        while true {
            if take(.op(".")) {
                if case .int(let i)? = current {
                    index += 1
                    node = .index(node, .literal(.int(i)))
                } else {
                    node = .attribute(node, try name())
                }
            } else if take(.op("[")) {
                node = try parseSubscript(node)
            } else if take(.op("(")) {
                let (arguments, keywords) = try parseArguments()
                node = .call(node, arguments: arguments, keywords: keywords)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ base: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        var parts: [JinjaExpression?] = [nil]
        var isSlice = false
        while !take(.op("]")) {
            if take(.op(":")) {
                isSlice = true
                parts.append(nil)
            } else {
                parts[parts.count - 1] = try parseExpression()
            }
        }
        guard isSlice else {
            guard let key = parts[0] else { throw .syntax("empty subscript", line: line) }
            return .index(base, key)
        }
        return .slice(base, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil)
    }

    /// Call arguments after `(`, through the closing `)`.
    mutating func parseArguments() throws(JinjaError) -> ([JinjaExpression], [(String, JinjaExpression)]) {
        var arguments: [JinjaExpression] = []
        var keywords: [(String, JinjaExpression)] = []
        while !take(.op(")")) {
            if case .name(let keyword)? = current, index + 1 < tokens.count, tokens[index + 1] == .op("=") {
                index += 2
                keywords.append((keyword, try parseExpression()))
            } else {
                arguments.append(try parseExpression())
            }
            if !take(.op(",")) {
                try expect(.op(")"))
                break
            }
        }
        return (arguments, keywords)
    }

    private mutating func parseFilters(_ base: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        var node = base
        while true {
            if take(.op("|")) {
                let filter = try name()
                var arguments: [JinjaExpression] = []
                var keywords: [(String, JinjaExpression)] = []
                if take(.op("(")) { (arguments, keywords) = try parseArguments() }
                node = .filter(node, name: filter, arguments: arguments, keywords: keywords)
            } else if take(.name("is")) {
                let negated = take(.name("not"))
                let test = try name()
                var arguments: [JinjaExpression] = []
                if take(.op("(")) {
                    arguments = try parseArguments().0
                } else if let next = current, Self.startsTestArgument(next) {
                    arguments = [try parsePostfix(try parsePrimary())]
                }
                node = .test(node, name: test, arguments: arguments, negated: negated)
            } else {
                return node
            }
        }
    }

    /// Whether a token after `is name` begins an argument written without parentheses
    /// (`x is divisibleby 3`), rather than the rest of the expression.
    private static func startsTestArgument(_ token: JinjaLexer.ExpressionToken) -> Bool {
        switch token {
        case .int, .double, .string: true
        case .name(let n): !["and", "or", "else", "if", "in", "not", "is", "recursive"].contains(n)
        case .op: false
        }
    }
}
