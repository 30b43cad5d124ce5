#if canImport(Glibc)
import Glibc
#endif

import LightServeCore

/// Jinja's operators, filters, tests, globals and the Python methods chat templates call on
/// strings and dicts: the subset real templates use, each with Python's semantics.
enum JinjaBuiltins {
    // MARK: Globals

    static let globals: [String: JinjaValue] = [
        "raise_exception": .callable(JinjaCallable(name: "raise_exception") { arguments, _, _ throws(JinjaError) in
            throw .raised(arguments.first?.rendered ?? "the template raised an exception")
        }),
        "namespace": .callable(JinjaCallable(name: "namespace") { arguments, keywords, _ throws(JinjaError) in
            let namespace = JinjaNamespace()
            if case .dict(let initial)? = arguments.first {
                for key in initial.keys { namespace.attributes[key] = initial.values[key] }
            }
            for (key, value) in keywords { namespace.attributes[key] = value }
            return .namespace(namespace)
        }),
        "range": .callable(JinjaCallable(name: "range") { arguments, _, _ throws(JinjaError) in
            let bounds = try arguments.map { value throws(JinjaError) -> Int in
                guard case .int(let i) = value else { throw .type("range() takes integers, got \(value.typeName)") }
                return i
            }
            let (start, stop, step) =
                switch bounds.count {
                case 1: (0, bounds[0], 1)
                case 2: (bounds[0], bounds[1], 1)
                case 3: (bounds[0], bounds[1], bounds[2])
                default: throw JinjaError.type("range() takes 1 to 3 arguments")
                }
            guard step != 0 else { throw .type("range() step must not be zero") }
            guard abs((stop - start) / step) <= 1_000_000 else { throw .type("range() is too long") }
            return .list(Array(stride(from: start, to: stop, by: step)).map { .int($0) })
        }),
        "dict": .callable(JinjaCallable(name: "dict") { _, keywords, _ throws(JinjaError) in
            .dict(JinjaDict(keywords))
        }),
        "strftime_now": .callable(JinjaCallable(name: "strftime_now") { arguments, _, _ throws(JinjaError) in
            .string(Self.strftimeNow(arguments.first?.rendered ?? "%Y-%m-%d"))
        }),
    ]

    // MARK: Member access

    static func attribute(_ base: JinjaValue, _ name: String) throws(JinjaError) -> JinjaValue {
        switch base {
        case .dict(let d):
            if let value = d[name] { return value }
            if let method = dictMethod(d, name) { return method }
            return .undefined(name)
        case .namespace(let n):
            return n.attributes[name] ?? .undefined(name)
        case .string(let s):
            return stringMethod(s, name) ?? .undefined(name)
        case .list:
            return .undefined(name)
        case .undefined(let missing):
            throw .type("'\(missing)' is undefined, so it has no attribute '\(name)'")
        default:
            return .undefined(name)
        }
    }

    static func index(_ base: JinjaValue, _ key: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch (base, key) {
        case (.dict(let d), .string(let k)):
            return d[k] ?? .undefined(k)
        case (.namespace(let n), .string(let k)):
            return n.attributes[k] ?? .undefined(k)
        case (.list(let items), .int(let i)):
            let index = i < 0 ? items.count + i : i
            guard items.indices.contains(index) else { return .undefined("[\(i)]") }
            return items[index]
        case (.string(let s), .int(let i)):
            let chars = Array(s)
            let index = i < 0 ? chars.count + i : i
            guard chars.indices.contains(index) else { return .undefined("[\(i)]") }
            return .string(String(chars[index]))
        case (.undefined(let missing), _):
            throw .type("'\(missing)' is undefined, so it cannot be indexed")
        default:
            return .undefined(key.rendered)
        }
    }

    static func slice(_ base: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws(JinjaError) -> JinjaValue {
        func int(_ v: JinjaValue?) throws(JinjaError) -> Int? {
            switch v {
            case nil, .none?: return nil
            case .int(let i)?: return i
            case let other?: throw .type("slice bounds must be integers, got \(other.typeName)")
            }
        }
        let step = try int(step) ?? 1
        guard step != 0 else { throw .type("slice step must not be zero") }
        func pick<T>(_ items: [T]) throws(JinjaError) -> [T] {
            let n = items.count
            func clamp(_ i: Int?, _ fallback: Int) -> Int {
                guard let i else { return fallback }
                let j = i < 0 ? i + n : i
                return step > 0 ? min(max(j, 0), n) : min(max(j, -1), n - 1)
            }
            let from = clamp(try int(start), step > 0 ? 0 : n - 1)
            let to = clamp(try int(stop), step > 0 ? n : -1)
            return Array(stride(from: from, to: to, by: step)).map { items[$0] }
        }
        switch base {
        case .list(let items): return .list(try pick(items))
        case .string(let s): return .string(String(try pick(Array(s))))
        default: throw .type("\(base.typeName) cannot be sliced")
        }
    }

    // MARK: Operators

    static func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch op {
        case "==": return .bool(a.equals(b))
        case "!=": return .bool(!a.equals(b))
        case "<", "<=", ">", ">=":
            let order: Bool?
            switch (a, b) {
            case (.string(let x), .string(let y)):
                order = op == "<" ? x < y : op == "<=" ? x <= y : op == ">" ? x > y : x >= y
            default:
                if let x = a.number, let y = b.number {
                    order = op == "<" ? x < y : op == "<=" ? x <= y : op == ">" ? x > y : x >= y
                } else {
                    order = nil
                }
            }
            guard let order else { throw .type("cannot compare \(a.typeName) and \(b.typeName) with \(op)") }
            return .bool(order)
        case "in":
            switch b {
            case .string(let s): return .bool(s.contains(a.rendered))
            case .list(let items): return .bool(items.contains { $0.equals(a) })
            case .dict(let d): return .bool(d[a.rendered] != nil)
            case .undefined: return .bool(false)
            default: throw .type("'in' needs a string, list or dict on its right, got \(b.typeName)")
            }
        case "~":
            return .string(a.rendered + b.rendered)
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.int(let x), .int(let y)): return .int(x &+ y)
            default:
                guard let x = a.number, let y = b.number, !a.isString, !b.isString else {
                    throw .type("cannot add \(a.typeName) and \(b.typeName)")
                }
                return .double(x + y)
            }
        case "*":
            switch (a, b) {
            case (.string(let s), .int(let n)), (.int(let n), .string(let s)):
                return .string(String(repeating: s, count: max(0, min(n, 100_000))))
            case (.int(let x), .int(let y)): return .int(x &* y)
            default: break
            }
            fallthrough
        case "-", "/", "//", "%", "**":
            if case .int(let x) = a, case .int(let y) = b, op != "/" {
                switch op {
                case "-": return .int(x &- y)
                case "//":
                    guard y != 0 else { throw .type("integer division by zero") }
                    return .int(Int((Double(x) / Double(y)).rounded(.down)))
                case "%":
                    guard y != 0 else { throw .type("modulo by zero") }
                    return .int(((x % y) + y) % y)
                case "**": return y >= 0 ? .int(Int(pow(Double(x), Double(y)))) : .double(pow(Double(x), Double(y)))
                default: break
                }
            }
            guard let x = a.number, let y = b.number, !a.isString, !b.isString else {
                throw .type("unsupported operand types for \(op): \(a.typeName) and \(b.typeName)")
            }
            switch op {
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/":
                guard y != 0 else { throw .type("division by zero") }
                return .double(x / y)
            case "//":
                guard y != 0 else { throw .type("division by zero") }
                return .double((x / y).rounded(.down))
            case "%":
                guard y != 0 else { throw .type("modulo by zero") }
                return .double(x - y * (x / y).rounded(.down))
            default: return .double(pow(x, y))
            }
        default:
            throw .type("unknown operator \(op)")
        }
    }

    // MARK: Filters

    static func filter(
        _ name: String, _ value: JinjaValue, _ arguments: [JinjaValue], _ keywords: [(String, JinjaValue)],
        _ interpreter: JinjaInterpreter
    ) throws(JinjaError) -> JinjaValue {
        func argument(_ i: Int, _ key: String) -> JinjaValue? {
            i < arguments.count ? arguments[i] : keywords.first { $0.0 == key }?.1
        }
        switch name {
        case "trim", "strip":
            return .string(value.rendered.trimmingWhitespace())
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.count)
            case .list(let l): return .int(l.count)
            case .dict(let d): return .int(d.keys.count)
            case .undefined: return .int(0)
            default: throw .type("\(value.typeName) has no length")
            }
        case "upper": return .string(value.rendered.uppercased())
        case "lower": return .string(value.rendered.lowercased())
        case "capitalize":
            let s = value.rendered
            return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "title":
            return .string(value.rendered.split(separator: " ", omittingEmptySubsequences: false)
                .map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: " "))
        case "string": return .string(value.rendered)
        case "safe", "escape", "e", "forceescape":
            return name == "safe" ? value : .string(escapeHTML(value.rendered))
        case "int":
            switch value {
            case .int: return value
            case .double(let d): return .int(Int(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s): return .int(Int(s.trimmingWhitespace()) ?? Int(Double(s.trimmingWhitespace()) ?? 0))
            default: return argument(0, "default") ?? .int(0)
            }
        case "float":
            return .double(value.number ?? Double(value.rendered.trimmingWhitespace()) ?? 0)
        case "list": return .list(try value.iterated())
        case "first": return try value.iterated().first ?? .undefined("first")
        case "last": return try value.iterated().last ?? .undefined("last")
        case "reverse":
            if case .string(let s) = value { return .string(String(s.reversed())) }
            return .list(try value.iterated().reversed())
        case "join":
            var items = try value.iterated()
            if let attribute = argument(1, "attribute")?.rendered {
                items = try items.map { item throws(JinjaError) in try Self.attribute(item, attribute) }
            }
            return .string(items.map(\.rendered).joined(separator: argument(0, "d")?.rendered ?? ""))
        case "default", "d":
            let fallback = argument(0, "default_value") ?? .string("")
            let boolean = argument(1, "boolean")?.isTruthy ?? false
            return (boolean ? value.isTruthy : value.isDefined) ? value : fallback
        case "replace":
            guard let old = argument(0, "old"), let new = argument(1, "new") else { throw .type("replace needs two arguments") }
            return .string(value.rendered.replacing(old.rendered, with: new.rendered))
        case "tojson":
            let indent: Int? = if case .int(let i)? = argument(0, "indent") { i } else { nil }
            return .string(try toJSON(value, indent: indent, level: 0))
        case "items":
            guard case .dict(let d) = value else { throw .type("items needs a dict, got \(value.typeName)") }
            return .list(d.keys.map { .list([.string($0), d.values[$0]!]) })
        case "dictsort":
            guard case .dict(let d) = value else { throw .type("dictsort needs a dict, got \(value.typeName)") }
            return .list(d.keys.sorted().map { .list([.string($0), d.values[$0]!]) })
        case "unique":
            var seen: [JinjaValue] = []
            for item in try value.iterated() where !seen.contains(where: { $0.equals(item) }) { seen.append(item) }
            return .list(seen)
        case "abs":
            if case .int(let i) = value { return .int(abs(i)) }
            return .double(abs(value.number ?? 0))
        case "round":
            let digits: Int = if case .int(let i)? = argument(0, "precision") { i } else { 0 }
            let scale = pow(10, Double(digits))
            return .double(((value.number ?? 0) * scale).rounded() / scale)
        case "indent":
            let width: Int = if case .int(let i)? = argument(0, "width") { i } else { 4 }
            let first = argument(1, "first")?.isTruthy ?? false
            let pad = String(repeating: " ", count: width)
            let lines = value.rendered.split(separator: "\n", omittingEmptySubsequences: false)
            return .string(lines.enumerated().map { i, line in
                (i > 0 || first) && !line.isEmpty ? pad + line : String(line)
            }.joined(separator: "\n"))
        case "wordcount":
            return .int(value.rendered.split { $0.isWhitespace }.count)
        case "map":
            let items = try value.iterated()
            if let attribute = keywords.first(where: { $0.0 == "attribute" })?.1.rendered {
                return .list(try items.map { item throws(JinjaError) in try Self.attribute(item, attribute) })
            }
            guard let filterName = arguments.first?.rendered else { throw .type("map needs a filter name or attribute=") }
            return .list(try items.map { item throws(JinjaError) in
                try filter(filterName, item, Array(arguments.dropFirst()), [], interpreter)
            })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var rest = arguments
            let attribute = byAttribute ? rest.removeFirst().rendered : nil
            let testName = rest.isEmpty ? nil : rest.removeFirst().rendered
            var kept: [JinjaValue] = []
            for item in try value.iterated() {
                let subject = try attribute.map { a throws(JinjaError) in try Self.attribute(item, a) } ?? item
                let passed = try testName.map { t throws(JinjaError) in try test(t, subject, rest) } ?? subject.isTruthy
                if passed == keep { kept.append(item) }
            }
            return .list(kept)
        case "sort":
            let reverse = argument(0, "reverse")?.isTruthy ?? false
            let attribute = keywords.first { $0.0 == "attribute" }?.1.rendered
            var items = try value.iterated()
            func key(_ item: JinjaValue) throws(JinjaError) -> JinjaValue {
                guard let attribute else { return item }
                return try Self.attribute(item, attribute)
            }
            var failure: JinjaError?
            items.sort { a, b in
                do throws(JinjaError) {
                    let (x, y) = (try key(a), try key(b))
                    let less = try binary("<", x, y).isTruthy
                    return reverse ? !less && !x.equals(y) : less
                } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            return .list(items)
        default:
            throw .type("unknown filter '\(name)'")
        }
    }

    // MARK: Tests

    static func test(_ name: String, _ value: JinjaValue, _ arguments: [JinjaValue]) throws(JinjaError) -> Bool {
        switch name {
        case "defined": return value.isDefined
        case "undefined": return !value.isDefined
        case "none": if case .none = value { return true } else { return false }
        case "string": return value.isString
        case "number": if case .int = value { return true } else if case .double = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "iterable":
            switch value {
            case .list, .dict, .string: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .list, .string, .dict: return true
            default: return false
            }
        case "callable": if case .callable = value { return true } else { return false }
        case "odd", "even":
            guard case .int(let i) = value else { throw .type("\(name) needs an integer") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard case .int(let i) = value, case .int(let n)? = arguments.first, n != 0 else {
                throw .type("divisibleby needs integers")
            }
            return i % n == 0
        case "eq", "equalto", "==": return value.equals(arguments.first ?? .none)
        case "ne", "!=": return !value.equals(arguments.first ?? .none)
        case "lt", "<", "le", "<=", "gt", ">", "ge", ">=":
            let op = ["lt": "<", "le": "<=", "gt": ">", "ge": ">="][name] ?? name
            return try binary(op, value, arguments.first ?? .none).isTruthy
        case "in": return try binary("in", value, arguments.first ?? .list([])).isTruthy
        case "lower": return value.rendered == value.rendered.lowercased()
        case "upper": return value.rendered == value.rendered.uppercased()
        case "sameas": return value.equals(arguments.first ?? .none)
        default: throw .type("unknown test '\(name)'")
        }
    }

    // MARK: Methods

    private static func method(_ name: String, _ body: @escaping @Sendable ([JinjaValue]) throws(JinjaError) -> JinjaValue) -> JinjaValue {
        .callable(JinjaCallable(name: name) { arguments, _, _ throws(JinjaError) in try body(arguments) })
    }

    /// The characters `strip` and friends remove: the argument's, or whitespace when absent.
    private static func chars(_ arguments: [JinjaValue]) -> Set<Character>? {
        if case .string(let c)? = arguments.first { return Set(c) }
        return nil
    }

    static func stringMethod(_ s: String, _ name: String) -> JinjaValue? {
        switch name {
        case "strip":
            return method(name) { a throws(JinjaError) in
                let set = chars(a)
                return .string(String(s.drop { set?.contains($0) ?? $0.isWhitespace }.reversed()
                    .drop { set?.contains($0) ?? $0.isWhitespace }.reversed()))
            }
        case "lstrip":
            return method(name) { a throws(JinjaError) in .string(String(s.drop { chars(a)?.contains($0) ?? $0.isWhitespace })) }
        case "rstrip":
            return method(name) { a throws(JinjaError) in
                .string(String(s.reversed().drop { chars(a)?.contains($0) ?? $0.isWhitespace }.reversed()))
            }
        case "upper": return method(name) { _ throws(JinjaError) in .string(s.uppercased()) }
        case "lower": return method(name) { _ throws(JinjaError) in .string(s.lowercased()) }
        case "title": return method(name) { _ throws(JinjaError) in try filter("title", .string(s), [], [], JinjaInterpreter(globals: [:])) }
        case "capitalize": return method(name) { _ throws(JinjaError) in .string(s.prefix(1).uppercased() + s.dropFirst().lowercased()) }
        case "startswith", "endswith":
            return method(name) { a throws(JinjaError) in
                let candidates: [String] =
                    if case .list(let l)? = a.first { l.map(\.rendered) } else { [a.first?.rendered ?? ""] }
                return .bool(candidates.contains { name == "startswith" ? s.hasPrefix($0) : s.hasSuffix($0) })
            }
        case "split":
            return method(name) { a throws(JinjaError) in
                if case .string(let separator)? = a.first, !separator.isEmpty {
                    return .list(s.split(separator: separator, omittingEmptySubsequences: false).map { .string(String($0)) })
                }
                return .list(s.split { $0.isWhitespace }.map { .string(String($0)) })
            }
        case "replace":
            return method(name) { a throws(JinjaError) in
                guard a.count >= 2 else { throw .type("replace needs two arguments") }
                return .string(s.replacing(a[0].rendered, with: a[1].rendered))
            }
        case "join":
            return method(name) { a throws(JinjaError) in .string(try (a.first ?? .list([])).iterated().map(\.rendered).joined(separator: s)) }
        case "find":
            return method(name) { a throws(JinjaError) in
                guard let range = s.firstRange(of: a.first?.rendered ?? "") else { return .int(-1) }
                return .int(s.distance(from: s.startIndex, to: range.lowerBound))
            }
        case "count":
            return method(name) { a throws(JinjaError) in .int(s.ranges(of: a.first?.rendered ?? "").count) }
        case "format":
            return method(name) { a throws(JinjaError) in
                var result = ""
                var rest = a[...]
                var i = s.startIndex
                while i < s.endIndex {
                    if s[i...].hasPrefix("{}") {
                        result += rest.popFirst()?.rendered ?? ""
                        i = s.index(i, offsetBy: 2)
                    } else {
                        result.append(s[i])
                        i = s.index(after: i)
                    }
                }
                return .string(result)
            }
        default: return nil
        }
    }

    static func dictMethod(_ d: JinjaDict, _ name: String) -> JinjaValue? {
        switch name {
        case "items": return method(name) { _ throws(JinjaError) in .list(d.keys.map { .list([.string($0), d.values[$0]!]) }) }
        case "keys": return method(name) { _ throws(JinjaError) in .list(d.keys.map { .string($0) }) }
        case "values": return method(name) { _ throws(JinjaError) in .list(d.keys.map { d.values[$0]! }) }
        case "get":
            return method(name) { a throws(JinjaError) in
                guard let key = a.first?.rendered else { throw .type("get needs a key") }
                return d[key] ?? (a.count > 1 ? a[1] : .none)
            }
        default: return nil
        }
    }

    // MARK: Helpers

    /// `json.dumps` as Hugging Face's `tojson` calls it: `", "` and `": "` separators, no ASCII
    /// escaping, no HTML escaping, keys in insertion order.
    static func toJSON(_ value: JinjaValue, indent: Int?, level: Int) throws(JinjaError) -> String {
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) } ?? ""
        let closing = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        let separator = indent == nil ? ", " : ","
        switch value {
        case .undefined, .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? JinjaValue.pythonFloat(d) : (d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))
        case .string(let s): return jsonString(s)
        case .list(let items):
            guard !items.isEmpty else { return "[]" }
            return "[" + newline
                + (try items.map { item throws(JinjaError) in try toJSON(item, indent: indent, level: level + 1) })
                .joined(separator: separator + newline) + closing + "]"
        case .dict(let d):
            guard !d.keys.isEmpty else { return "{}" }
            return "{" + newline
                + (try d.keys.map { key throws(JinjaError) in
                    jsonString(key) + ": " + (try toJSON(d.values[key]!, indent: indent, level: level + 1))
                }).joined(separator: separator + newline) + closing + "}"
        case .namespace(let n): return try toJSON(.dict(n.attributes), indent: indent, level: level)
        case .callable: throw .type("a function cannot be converted to JSON")
        }
    }

    private static func jsonString(_ s: String) -> String {
        var out = ""
        JSONStringLiteral.append(s, to: &out)
        return out
    }

    private static func escapeHTML(_ s: String) -> String {
        s.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
            .replacing("\"", with: "&#34;").replacing("'", with: "&#39;")
    }

    /// `strftime` over the current UTC time, for the directives templates use.
    private static func strftimeNow(_ format: String) -> String {
        let seconds = Int(ContinuousClockEpoch.unixSeconds)
        let days = seconds / 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var out = ""
        var i = format.startIndex
        while i < format.endIndex {
            if format[i] == "%", format.index(after: i) < format.endIndex {
                let directive = format[format.index(after: i)]
                switch directive {
                case "Y": out += String(year)
                case "m": out += two(month)
                case "d": out += two(day)
                case "B": out += months[month - 1]
                case "b": out += String(months[month - 1].prefix(3))
                case "H": out += two(seconds % 86_400 / 3600)
                case "M": out += two(seconds % 3600 / 60)
                case "S": out += two(seconds % 60)
                case "%": out += "%"
                default: out += "%" + String(directive)
                }
                i = format.index(i, offsetBy: 2)
            } else {
                out.append(format[i])
                i = format.index(after: i)
            }
        }
        return out
    }

    /// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    private static func civilDate(daysSinceEpoch: Int) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Wall-clock seconds since the Unix epoch, without Foundation.
enum ContinuousClockEpoch {
    static var unixSeconds: Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }
}
