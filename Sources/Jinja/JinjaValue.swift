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
        case .string(let s): "'" + s.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
        case .list(let items): "[" + items.map(\.representation).joined(separator: ", ") + "]"
        case .dict(let d): "{" + d.keys.map { "'\($0)': \(d.values[$0]!.representation)" }.joined(separator: ", ") + "}"
        case .namespace: "<Namespace>"
        case .callable(let c): "<function \(c.name)>"
        }
    }

    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded() && abs(d) < 1e16 { return String(Int64(d)) + ".0" }
        return "\(d)"
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

    /// Items when iterated: a list's items, a dict's keys, a string's characters.
    func iterated() throws(JinjaError) -> [JinjaValue] {
        switch self {
        case .list(let items): return items
        case .dict(let d): return d.keys.map { .string($0) }
        case .string(let s): return s.map { .string(String($0)) }
        case .undefined: return []
        default: throw .type("\(typeName) is not iterable")
        }
    }

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
        case (.string(let a), .string(let b)): return a == b
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
