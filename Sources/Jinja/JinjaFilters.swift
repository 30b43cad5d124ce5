#if canImport(Glibc)
import Glibc
#endif

/// Jinja's filters (`x | trim`) and tests (`x is defined`) with jinja2 3.1's semantics, as
/// Hugging Face's environment has them (its own `tojson`).
enum JinjaFilters {
    static func filter(
        _ name: String, _ value: JinjaValue, _ arguments: [JinjaValue], _ keywords: [(String, JinjaValue)]
    ) throws(JinjaError) -> JinjaValue {
        func argument(_ i: Int, _ key: String) -> JinjaValue? { JinjaMethods.argument(arguments, keywords, i, key) }
        func flag(_ i: Int, _ key: String) -> Bool { argument(i, key)?.isTruthy ?? false }
        func string(_ i: Int, _ key: String) -> String? { argument(i, key).flatMap { $0.isDefined ? $0.rendered : nil } }
        /// The item's `attribute` argument (at position `i`), or the item itself.
        func keyFunction(_ i: Int) -> (JinjaValue) throws(JinjaError) -> JinjaValue {
            let attribute = string(i, "attribute")
            return { item throws(JinjaError) in
                guard let attribute else { return item }
                return try JinjaBuiltins.attribute(item, attribute)
            }
        }
        switch name {
        case "trim":
            let chars: String? = if case .string(let c)? = argument(0, "chars") { c } else { nil }
            return .string(PythonString.strip(value.rendered, chars))
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let l): return .int(l.count)
            case .dict(let d): return .int(d.keys.count)
            case .undefined: return .int(0)
            default: throw .type("\(value.typeName) has no length")
            }
        case "upper": return .string(value.rendered.uppercased())
        case "lower": return .string(value.rendered.lowercased())
        case "capitalize": return .string(PythonString.capitalize(value.rendered))
        case "title": return .string(title(value.rendered))
        case "string": return .string(value.rendered)
        case "safe": return value
        case "escape", "e", "forceescape": return .string(escapeHTML(value.rendered))
        case "int": return try toInt(value, default: argument(0, "default") ?? .int(0))
        case "float": return toFloat(value, default: argument(0, "default") ?? .double(0))
        case "abs":
            switch value {
            case .int(let i) where i != .min: return .int(abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw .type("abs needs a number, got \(value.typeName)")
            }
        case "round": return try round(value, precision: argument(0, "precision"), method: string(1, "method") ?? "common")
        case "list": return .list(try strictlyIterated(value, name))
        case "first": return try strictlyIterated(value, name).first ?? .undefined("first")
        case "last": return try strictlyIterated(value, name).last ?? .undefined("last")
        case "reverse":
            if case .string(let s) = value { return .string(PythonString.string(s.unicodeScalars.reversed())) }
            return .list(try strictlyIterated(value, name).reversed())
        case "join":
            var items = try value.iterated()
            if let attribute = string(1, "attribute") {
                items = try items.map { item throws(JinjaError) in try JinjaBuiltins.attribute(item, attribute) }
            }
            return .string(items.map(\.rendered).joined(separator: string(0, "d") ?? ""))
        case "default", "d":
            let fallback = argument(0, "default_value") ?? .string("")
            return (flag(1, "boolean") ? value.isTruthy : value.isDefined) ? value : fallback
        case "replace":
            guard let old = string(0, "old"), let new = string(1, "new") else { throw .type("replace needs two arguments") }
            let count: Int = if let c = argument(2, "count")?.integer { c } else { -1 }
            return .string(PythonString.replace(value.rendered, old, new, count: count))
        case "tojson":
            return .string(try JinjaJSON(arguments: arguments, keywords: keywords).encode(value))
        case "items":
            switch value {
            case .undefined: return .list([])
            case .dict(let d): return .list(d.keys.map { .list([.string($0), d.values[$0]!]) })
            default: throw .type("items needs a dict, got \(value.typeName)")
            }
        case "dictsort":
            guard case .dict(let d) = value else { throw .type("dictsort needs a dict, got \(value.typeName)") }
            let byValue = string(2, "by") == "value"
            let pairs = d.keys.map { JinjaValue.list([.string($0), d.values[$0]!]) }
            return .list(try sorted(pairs, reverse: flag(3, "reverse"), caseSensitive: flag(0, "case_sensitive")) { pair in
                guard case .list(let kv) = pair else { return pair }
                return kv[byValue ? 1 : 0]
            })
        case "sort":
            let items = try strictlyIterated(value, name)
            return .list(try sorted(items, reverse: flag(0, "reverse"), caseSensitive: flag(1, "case_sensitive"), by: keyFunction(2)))
        case "unique":
            let caseSensitive = flag(0, "case_sensitive")
            let keyOf = keyFunction(1)
            var seen: [JinjaValue] = []
            var kept: [JinjaValue] = []
            for item in try strictlyIterated(value, name) {
                let key = sortKey(try keyOf(item), caseSensitive)
                if !seen.contains(where: { $0.equals(key) }) {
                    seen.append(key)
                    kept.append(item)
                }
            }
            return .list(kept)
        case "max", "min":
            let items = try sorted(
                try strictlyIterated(value, name), reverse: false, caseSensitive: flag(0, "case_sensitive"), by: keyFunction(1))
            return (name == "max" ? items.last : items.first) ?? .undefined(name)
        case "sum":
            let term = keyFunction(0)
            var total = argument(1, "start") ?? .int(0)
            for item in try strictlyIterated(value, name) { total = try JinjaBuiltins.binary("+", total, try term(item)) }
            return total
        case "batch":
            guard let size = argument(0, "linecount")?.integer, size > 0 else { throw .type("batch needs a positive size") }
            let items = try strictlyIterated(value, name)
            let fill = argument(1, "fill_with")
            return .list(stride(from: 0, to: items.count, by: size).map { start in
                var chunk = Array(items[start..<min(start + size, items.count)])
                if let fill, chunk.count < size { chunk += Array(repeating: fill, count: size - chunk.count) }
                return .list(chunk)
            })
        case "center":
            let width = argument(0, "width")?.integer ?? 80
            return .string(try PythonString.pad(value.rendered, width: width, fill: " ", alignment: .center))
        case "indent":
            // A number of spaces, or the text to indent with.
            var width = "    "
            if let w = argument(0, "width") {
                if let n = w.integer {
                    guard n <= PythonString.maxWidth else { throw .type("indent width \(n) is too large") }
                    width = String(repeating: " ", count: max(0, n))
                } else {
                    width = w.rendered
                }
            }
            return .string(indent(value.rendered, width: width, first: flag(1, "first"), blank: flag(2, "blank")))
        case "wordcount":
            return .int(wordCount(value.rendered))
        case "format":
            let values: JinjaValue = keywords.isEmpty ? .list(arguments) : .dict(JinjaDict(keywords))
            return .string(try JinjaMethods.percentFormat(value.rendered, values))
        case "map":
            // Jinja maps and selects over a falsy value (none included) as over an empty list.
            let items = value.isTruthy ? try value.iterated() : []
            if let attribute = keywords.first(where: { $0.0 == "attribute" })?.1.rendered {
                let fallback = keywords.first { $0.0 == "default" }?.1
                return .list(try items.map { item throws(JinjaError) in
                    let found = try JinjaBuiltins.attribute(item, attribute)
                    return found.isDefined ? found : fallback ?? found
                })
            }
            guard let filterName = arguments.first?.rendered else { throw .type("map needs a filter name or attribute=") }
            return .list(try items.map { item throws(JinjaError) in
                try filter(filterName, item, Array(arguments.dropFirst()), keywords)
            })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var rest = arguments
            guard !byAttribute || !rest.isEmpty else { throw .type("\(name) needs an attribute name") }
            let attribute = byAttribute ? rest.removeFirst().rendered : nil
            let testName = rest.isEmpty ? nil : rest.removeFirst().rendered
            var kept: [JinjaValue] = []
            for item in value.isTruthy ? try value.iterated() : [] {
                let subject = try attribute.map { a throws(JinjaError) in try JinjaBuiltins.attribute(item, a) } ?? item
                let passed = try testName.map { t throws(JinjaError) in try test(t, subject, rest) } ?? subject.isTruthy
                if passed == keep { kept.append(item) }
            }
            return .list(kept)
        default:
            throw .type("unknown filter '\(name)'")
        }
    }

    // MARK: Tests

    static func test(_ name: String, _ value: JinjaValue, _ arguments: [JinjaValue]) throws(JinjaError) -> Bool {
        let other = arguments.first ?? .none
        switch name {
        case "defined": return value.isDefined
        case "undefined": return !value.isDefined
        case "none": if case .none = value { return true } else { return false }
        case "string": return value.isString
        case "number": return value.number != nil
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "iterable":
            switch value {
            case .list, .dict, .string, .undefined: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .list, .string, .dict: return true
            default: return false
            }
        case "callable": if case .callable = value { return true } else { return false }
        case "odd", "even":
            guard let number = value.number else { throw .type("\(name) needs a number, got \(value.typeName)") }
            let remainder = abs(fmod(number, 2))
            return name == "odd" ? remainder == 1 : remainder == 0
        case "divisibleby":
            guard let n = arguments.first?.integer, n != 0 else {
                throw .type("divisibleby needs a non-zero integer")
            }
            return try JinjaBuiltins.binary("%", value, .int(n)).equals(.int(0))
        case "eq", "equalto", "==": return value.equals(other)
        case "ne", "!=": return !value.equals(other)
        case "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=":
            let op = ["lt": "<", "lessthan": "<", "le": "<=", "gt": ">", "greaterthan": ">", "ge": ">="][name] ?? name
            return try JinjaBuiltins.binary(op, value, other).isTruthy
        case "in": return try JinjaBuiltins.binary("in", value, arguments.first ?? .list([])).isTruthy
        case "lower": return PythonString.isCase(value.rendered, upper: false)
        case "upper": return PythonString.isCase(value.rendered, upper: true)
        case "sameas":
            switch (value, other) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        case "escaped": return false
        default: throw .type("unknown test '\(name)'")
        }
    }

    // MARK: Helpers

    /// What `list()`, `first` and `sort` take: Python refuses `None` and numbers, and jinja2's
    /// undefined iterates as empty.
    private static func strictlyIterated(_ value: JinjaValue, _ filter: String) throws(JinjaError) -> [JinjaValue] {
        switch value {
        case .list, .dict, .string, .undefined: return try value.iterated()
        default: throw .type("\(filter) needs a list, dict or string, got \(value.typeName)")
        }
    }

    /// Strings compare lower-cased unless the filter asked for case sensitivity, as jinja2's do.
    private static func sortKey(_ value: JinjaValue, _ caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case .string(let s) = value { return .string(s.lowercased()) }
        return value
    }

    /// A stable sort by `key`, failing on values Python cannot order.
    private static func sorted(
        _ items: [JinjaValue], reverse: Bool, caseSensitive: Bool, by key: (JinjaValue) throws(JinjaError) -> JinjaValue
    ) throws(JinjaError) -> [JinjaValue] {
        let keyed = try items.map { item throws(JinjaError) in (sortKey(try key(item), caseSensitive), item) }
        var failure: JinjaError?
        let ordered = keyed.enumerated().sorted { a, b in
            do throws(JinjaError) {
                let (x, y) = reverse ? (b.element.0, a.element.0) : (a.element.0, b.element.0)
                if try JinjaBuiltins.binary("<", x, y).isTruthy { return true }
                if try JinjaBuiltins.binary("<", y, x).isTruthy { return false }
                return a.offset < b.offset
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        return ordered.map(\.element.1)
    }

    /// jinja2's `int`: strings parse as Python's `int()` would (then as a float), anything that
    /// does not convert gives the default; a float too large for 64 bits is an error.
    private static func toInt(_ value: JinjaValue, default fallback: JinjaValue) throws(JinjaError) -> JinjaValue {
        func fromDouble(_ d: Double) throws(JinjaError) -> JinjaValue {
            guard d.isFinite, abs(d) < 9.2e18 else { throw .type("cannot convert \(JinjaValue.pythonFloat(d)) to an integer") }
            return .int(Int(d))
        }
        switch value {
        case .int: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d): return try fromDouble(d)
        case .string(let s):
            let text = PythonString.strip(s, nil)
            if let i = Int(text.replacing("_", with: "")), !text.hasPrefix("_"), !text.hasSuffix("_") { return .int(i) }
            if let d = Double(text), !text.lowercased().contains("x") { return try fromDouble(d) }
            return fallback
        default: return fallback
        }
    }

    private static func toFloat(_ value: JinjaValue, default fallback: JinjaValue) -> JinjaValue {
        switch value {
        case .string(let s):
            let text = PythonString.strip(s, nil).lowercased()
            if ["inf", "+inf", "infinity", "+infinity"].contains(text) { return .double(.infinity) }
            if ["-inf", "-infinity"].contains(text) { return .double(-.infinity) }
            if ["nan", "+nan", "-nan"].contains(text) { return .double(.nan) }
            guard !text.contains("x"), let d = Double(text.replacing("_", with: "")) else { return fallback }
            return .double(d)
        default:
            return value.number.map { .double($0) } ?? fallback
        }
    }

    /// jinja2's `round`: Python's `round()` (halves to even; an integer stays an integer) for
    /// `common`, or `floor`/`ceil` at the given precision.
    private static func round(_ value: JinjaValue, precision: JinjaValue?, method: String) throws(JinjaError) -> JinjaValue {
        guard let x = value.number else { throw .type("round needs a number, got \(value.typeName)") }
        let digits = precision?.integer ?? 0
        let scale = pow(10, Double(digits))
        switch method {
        case "common":
            if let i = value.integer, digits >= 0 { return .int(i) }
            return .double(digits == 0 ? x.rounded(.toNearestOrEven) : (x * scale).rounded(.toNearestOrEven) / scale)
        case "floor": return .double((x * scale).rounded(.down) / scale)
        case "ceil": return .double((x * scale).rounded(.up) / scale)
        default: throw .type("round's method must be common, ceil or floor, not '\(method)'")
        }
    }

    /// jinja2's `title`: each run between `-`, white space and opening brackets is capitalised.
    private static func title(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for c in s.unicodeScalars {
            let isBoundary = c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || PythonString.isSpace(c)
            if isBoundary {
                out.unicodeScalars.append(c)
                atWordStart = true
            } else {
                out += atWordStart ? String(c).uppercased() : String(c).lowercased()
                atWordStart = false
            }
        }
        return out
    }

    /// jinja2's `indent`: every line after the first (and the first with `first`) gets `width`
    /// in front, blank lines only with `blank`.
    private static func indent(_ s: String, width: String, first: Bool, blank: Bool) -> String {
        let lines = PythonString.splitLines(s + "\n")
        var out: String
        if blank {
            out = lines.joined(separator: "\n" + width)
        } else {
            out = lines.first ?? ""
            if lines.count > 1 {
                out += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : width + $0 }.joined(separator: "\n")
            }
        }
        return first ? width + out : out
    }

    /// Runs of word characters (`\w+`): letters, digits and underscores.
    private static func wordCount(_ s: String) -> Int {
        var count = 0
        var inWord = false
        for c in s.unicodeScalars {
            let isWord = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
            if isWord && !inWord { count += 1 }
            inWord = isWord
        }
        return count
    }

    private static func escapeHTML(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
