import LightServeCore

/// The `tojson` filter as Hugging Face overrides it: Python's `json.dumps(x, ensure_ascii=False,
/// indent=None, separators=None, sort_keys=False)`, so a tool's schema reaches the prompt in the
/// bytes the model was trained on (`", "` and `": "` between items, keys in their given order,
/// no HTML escaping).
struct JinjaJSON {
    var ensureASCII = false
    /// Python's `indent`: nil writes one line; otherwise each level is indented by this text.
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false

    /// The options from the filter's arguments, positional in `json.dumps`'s order or by keyword.
    init(arguments: [JinjaValue], keywords: [(String, JinjaValue)]) throws(JinjaError) {
        func argument(_ i: Int, _ key: String) -> JinjaValue? {
            keywords.first { $0.0 == key }?.1 ?? (i < arguments.count ? arguments[i] : nil)
        }
        ensureASCII = argument(0, "ensure_ascii")?.isTruthy ?? false
        switch argument(1, "indent") {
        case nil, .none?: indent = nil
        case .int(let n)?:
            guard n <= PythonString.maxWidth else { throw .type("tojson's indent \(n) is too large") }
            indent = String(repeating: " ", count: max(0, n))
        case .string(let s)?: indent = s
        case let other?: throw .type("tojson's indent must be an integer or a string, got \(other.typeName)")
        }
        switch argument(2, "separators") {
        case nil, .none?:
            (itemSeparator, keySeparator) = (indent == nil ? ", " : ",", ": ")
        case .list(let pair)? where pair.count == 2 && pair.allSatisfy(\.isString):
            (itemSeparator, keySeparator) = (pair[0].rendered, pair[1].rendered)
        case let other?:
            throw .type("tojson's separators must be two strings, got \(other.representation)")
        }
        sortKeys = argument(3, "sort_keys")?.isTruthy ?? false
    }

    func encode(_ value: JinjaValue) throws(JinjaError) -> String {
        var out = ""
        try write(value, level: 0, to: &out)
        return out
    }

    private func write(_ value: JinjaValue, level: Int, to out: inout String) throws(JinjaError) {
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isNaN ? "NaN" : d.isInfinite ? (d > 0 ? "Infinity" : "-Infinity") : JinjaValue.pythonFloat(d)
        case .string(let s): writeString(s, to: &out)
        case .list(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, &out)
                try write(item, level: level + 1, to: &out)
            }
            newline(level, &out)
            out += "]"
        case .dict(let d):
            guard !d.keys.isEmpty else {
                out += "{}"
                return
            }
            out += "{"
            for (i, key) in (sortKeys ? d.keys.sorted(by: PythonString.precedes) : d.keys).enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, &out)
                writeString(key, to: &out)
                out += keySeparator
                try write(d.values[key]!, level: level + 1, to: &out)
            }
            newline(level, &out)
            out += "}"
        case .undefined(let name):
            throw .type("'\(name)' is undefined and cannot be converted to JSON")
        case .namespace, .callable:
            throw .type("a \(value.typeName) cannot be converted to JSON")
        }
    }

    private func newline(_ level: Int, _ out: inout String) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    private func writeString(_ s: String, to out: inout String) {
        JSONStringLiteral.append(s, to: &out, asciiOnly: ensureASCII)
    }
}
