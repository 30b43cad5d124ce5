/// A value inside a template, with Python's semantics where Jinja borrows them (truthiness,
/// `str()`, equality across ints and floats, ordered dicts).
enum JinjaValue: Sendable {
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JinjaValue])
    case dict(JinjaDict)
    case namespace(JinjaNamespace)
    case callable(JinjaCallable)

    var isDefined: Bool {
        if case .undefined = self { return false }
        return true
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .dict(let d): !d.keys.isEmpty
        case .namespace, .callable: true
        }
    }

    /// What `{{ value }}` prints: Python's `str()`.
    var rendered: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: representation
        }
    }

    /// Python's `repr()`, as lists and dicts print their items.
    var representation: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d): Self.pythonFloat(d)
        case .string(let s): Self.pythonRepr(s)
        case .list(let items): "[" + items.map(\.representation).joined(separator: ", ") + "]"
        case .dict(let d): "{" + d.keys.map { Self.pythonRepr($0) + ": " + d.values[$0]!.representation }.joined(separator: ", ") + "}"
        case .namespace: "<Namespace>"
        case .callable(let c): "<function \(c.name)>"
        }
    }

    /// Python's `repr(float)`: the shortest text that reads back the same, with `.0` on whole
    /// numbers and an exponent from 1e16 up and below 1e-4.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded() && abs(d) < 1e16 { return (d.sign == .minus ? "-" : "") + String(Int64(abs(d))) + ".0" }
        return "\(d)"
    }

    /// Python's `repr(str)`: single quotes unless the text has one and no double quote, with
    /// backslash escapes for the quote, backslashes and characters that do not print.
    static func pythonRepr(_ s: String) -> String {
        let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for c in s.unicodeScalars {
            switch c {
            case quote, "\\": out += "\\" + String(c)
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c == " " || isPrintable(c) {
                    out.unicodeScalars.append(c)
                } else {
                    let hex = String(c.value, radix: 16)
                    let (prefix, width) = c.value < 0x100 ? ("\\x", 2) : c.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                    out += prefix + String(repeating: "0", count: width - hex.count) + hex
                }
            }
        }
        out.unicodeScalars.append(quote)
        return out
    }

    /// `str.isprintable()` for one code point: not a control, format, surrogate, private-use,
    /// unassigned or separator character.
    private static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            false
        default:
            true
        }
    }

    var typeName: String {
        switch self {
        case .undefined: "undefined"
        case .none: "none"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "string"
        case .list: "list"
        case .dict: "dict"
        case .namespace: "namespace"
        case .callable: "function"
        }
    }

    /// Items when iterated: a list's items, a dict's keys, a string's code points.
    func iterated() throws(JinjaError) -> [JinjaValue] {
        switch self {
        case .list(let items): return items
        case .dict(let d): return d.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw .type("\(typeName) is not iterable")
        }
    }

    /// The value as a Python `int`: integers and booleans.
    var integer: Int? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// The value as a Python number: integers, floats and booleans.
    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// Python `==`.
    func equals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return PythonString.equal(a, b)
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.dict(let a), .dict(let b)):
            return a.keys.count == b.keys.count && a.keys.allSatisfy { k in b.values[k].map { a.values[k]!.equals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let x = number, let y = other.number, !(isString || other.isString) { return x == y }
            return false
        }
    }

    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}

/// A dict that keeps insertion order, as Python's does.
struct JinjaDict: Sendable {
    private(set) var keys: [String] = []
    private(set) var values: [String: JinjaValue] = [:]

    init() {}

    init(_ pairs: [(String, JinjaValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    subscript(key: String) -> JinjaValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }
}

/// `namespace(...)`: the one mutable object templates have, so loops can set values outside.
final class JinjaNamespace: @unchecked Sendable {
    // Mutated only by the render that created it, on one thread.
    var attributes = JinjaDict()
}

/// A builtin function, bound method or macro.
struct JinjaCallable: Sendable {
    let name: String
    let call: @Sendable ([JinjaValue], [(String, JinjaValue)], JinjaInterpreter) throws(JinjaError) -> JinjaValue
}
