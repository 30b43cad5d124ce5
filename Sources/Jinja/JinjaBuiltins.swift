#if canImport(Glibc)
import Glibc
#endif

/// Jinja's operators, globals and member access, each with Python's semantics (filters, tests
/// and methods are in their own files): the subset real chat templates use.
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
            try range(arguments)
        }),
        "dict": .callable(JinjaCallable(name: "dict") { arguments, keywords, _ throws(JinjaError) in
            var dict = JinjaDict()
            if let initial = arguments.first {
                switch initial {
                case .dict(let d): dict = d
                default:
                    for pair in try initial.iterated() {
                        let parts = try pair.iterated()
                        guard parts.count == 2, case .string(let key) = parts[0] else {
                            throw .type("dict() takes a dict or key-value pairs with string keys")
                        }
                        dict[key] = parts[1]
                    }
                }
            }
            for (key, value) in keywords { dict[key] = value }
            return .dict(dict)
        }),
        "strftime_now": .callable(JinjaCallable(name: "strftime_now") { arguments, _, _ throws(JinjaError) in
            .string(Self.strftimeNow(arguments.first?.rendered ?? "%Y-%m-%d"))
        }),
    ]

    /// `range(stop)`, `range(start, stop[, step])`, refusing lists longer than a million.
    private static func range(_ arguments: [JinjaValue]) throws(JinjaError) -> JinjaValue {
        let bounds = try arguments.map { value throws(JinjaError) -> Int in
            guard let i = value.integer else { throw .type("range() takes integers, got \(value.typeName)") }
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
        let (span, overflow) = stop.subtractingReportingOverflow(start)
        guard !overflow, span / step <= 1_000_000 else { throw .type("range() is too long") }
        return .list(stride(from: start, to: stop, by: step).map { .int($0) })
    }

    // MARK: Member access

    /// `base.name`: a dict's item (else its method), a namespace's attribute, a string's method.
    static func attribute(_ base: JinjaValue, _ name: String) throws(JinjaError) -> JinjaValue {
        switch base {
        case .dict(let d):
            if let value = d[name] { return value }
            if let method = JinjaMethods.dict(d, name) { return method }
            return .undefined(name)
        case .namespace(let n):
            return n.attributes[name] ?? .undefined(name)
        case .string(let s):
            return JinjaMethods.string(s, name) ?? .undefined(name)
        case .undefined(let missing):
            throw .type("'\(missing)' is undefined, so it has no attribute '\(name)'")
        default:
            return .undefined(name)
        }
    }

    /// `base[key]`: a dict's item, or a list's or string's element (negative from the end).
    static func index(_ base: JinjaValue, _ key: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch (base, key) {
        case (.dict(let d), .string(let k)):
            return d[k] ?? (JinjaMethods.dict(d, k) ?? .undefined(k))
        case (.namespace(let n), .string(let k)):
            return n.attributes[k] ?? .undefined(k)
        case (.list(let items), _) where key.integer != nil:
            return element(items, key.integer!).map { $0 } ?? .undefined("[\(key.integer!)]")
        case (.string(let s), _) where key.integer != nil:
            return element(PythonString.scalars(s), key.integer!).map { .string(String($0)) } ?? .undefined("[\(key.integer!)]")
        case (.string(let s), .string(let k)):
            return JinjaMethods.string(s, k) ?? .undefined(k)
        case (.undefined(let missing), _):
            throw .type("'\(missing)' is undefined, so it cannot be indexed")
        default:
            return .undefined(key.rendered)
        }
    }

    private static func element<T>(_ items: [T], _ i: Int) -> T? {
        let index = i < 0 ? items.count + i : i
        return items.indices.contains(index) ? items[index] : nil
    }

    /// `base[start:stop:step]` over lists and strings (by code point), with Python's clamping.
    static func slice(_ base: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws(JinjaError) -> JinjaValue {
        func int(_ v: JinjaValue?) throws(JinjaError) -> Int? {
            switch v {
            case nil, .none?: return nil
            case let value? where value.integer != nil: return value.integer
            case let other?: throw .type("slice bounds must be integers, got \(other.typeName)")
            }
        }
        let step = try int(step) ?? 1
        guard step != 0 else { throw .type("slice step must not be zero") }
        let (first, last) = (try int(start), try int(stop))
        func pick<T>(_ items: [T]) -> [T] {
            let n = items.count
            func clamp(_ i: Int?, _ fallback: Int) -> Int {
                guard let i else { return fallback }
                let j = i < 0 ? i &+ n : i
                return step > 0 ? min(max(j, 0), n) : min(max(j, -1), n - 1)
            }
            return stride(from: clamp(first, step > 0 ? 0 : n - 1), to: clamp(last, step > 0 ? n : -1), by: step).map { items[$0] }
        }
        switch base {
        case .list(let items): return .list(pick(items))
        case .string(let s): return .string(PythonString.string(pick(PythonString.scalars(s))))
        default: throw .type("\(base.typeName) cannot be sliced")
        }
    }

    // MARK: Operators

    static func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch op {
        case "==": return .bool(a.equals(b))
        case "!=": return .bool(!a.equals(b))
        case "<", "<=", ">", ">=":
            let less = try lessThan(a, b, op)
            switch op {
            case "<": return .bool(less)
            case ">": return .bool(try lessThan(b, a, op))
            case "<=": return .bool(less || a.equals(b))
            default: return .bool(try lessThan(b, a, op) || a.equals(b))
            }
        case "in":
            switch (a, b) {
            case (.string(let x), .string(let s)):
                return .bool(PythonString.find(PythonString.scalars(s), PythonString.scalars(x)) != nil)
            case (_, .list(let items)): return .bool(items.contains { $0.equals(a) })
            case (.string(let key), .dict(let d)): return .bool(d[key] != nil)
            case (_, .dict): return .bool(false)
            case (_, .undefined): return .bool(false)
            default: throw .type("'in' needs a string, list or dict on its right, got \(b.typeName) (with \(a.typeName) on its left)")
            }
        case "~":
            return .string(a.rendered + b.rendered)
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.list(let x), .list(let y)): return .list(x + y)
            default: return try arithmetic(op, a, b)
            }
        case "*":
            switch (a, b) {
            case (.string(let s), _) where b.integer != nil: return .string(try repeated(s, b.integer!))
            case (_, .string(let s)) where a.integer != nil: return .string(try repeated(s, a.integer!))
            case (.list(let l), _) where b.integer != nil: return .list(try repeated(l, b.integer!))
            default: return try arithmetic(op, a, b)
            }
        case "%":
            if case .string(let format) = a { return .string(try JinjaMethods.percentFormat(format, b)) }
            return try arithmetic(op, a, b)
        case "-", "/", "//", "**":
            return try arithmetic(op, a, b)
        default:
            throw .type("unknown operator \(op)")
        }
    }

    /// Python's `<`: numbers, strings by code point, lists item by item.
    private static func lessThan(_ a: JinjaValue, _ b: JinjaValue, _ op: String) throws(JinjaError) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return PythonString.precedes(x, y)
        case (.list(let x), .list(let y)):
            for (p, q) in zip(x, y) where !p.equals(q) { return try lessThan(p, q, op) }
            return x.count < y.count
        default:
            guard let x = a.number, let y = b.number else {
                throw .type("cannot compare \(a.typeName) and \(b.typeName) with \(op)")
            }
            return x < y
        }
    }

    /// Text repeated `count` times, refused beyond 16 MiB rather than exhausting memory.
    private static func repeated(_ s: String, _ count: Int) throws(JinjaError) -> String {
        guard count > 0 else { return "" }
        guard s.utf8.count.multipliedReportingOverflow(by: count).partialValue <= 1 << 24, count <= 1 << 24 else {
            throw .type("string repetition by \(count) is too long")
        }
        return String(repeating: s, count: count)
    }

    private static func repeated(_ l: [JinjaValue], _ count: Int) throws(JinjaError) -> [JinjaValue] {
        guard count > 0 else { return [] }
        guard l.count.multipliedReportingOverflow(by: count).partialValue <= 1 << 20, count <= 1 << 20 else {
            throw .type("list repetition by \(count) is too long")
        }
        return Array([[JinjaValue]](repeating: l, count: count).joined())
    }

    /// `+ - * / // % **` on numbers: integers stay integers (an overflow is an error, not a
    /// wrapped value), anything with a float is a float, `/` is always a float.
    private static func arithmetic(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        guard !a.isString, !b.isString, let x = a.number, let y = b.number else {
            throw .type("unsupported operand types for \(op): \(a.typeName) and \(b.typeName)")
        }
        if let i = a.integer, let j = b.integer, op != "/" {
            let result: (Int, Bool)
            switch op {
            case "+": result = i.addingReportingOverflow(j)
            case "-": result = i.subtractingReportingOverflow(j)
            case "*": result = i.multipliedReportingOverflow(by: j)
            case "//", "%":
                guard j != 0 else { throw .type(op == "%" ? "modulo by zero" : "integer division by zero") }
                guard !(i == .min && j == -1) else { throw .type("\(i) \(op) \(j) does not fit in 64 bits") }
                // Python floors: the remainder takes the divisor's sign.
                var (q, r) = i.quotientAndRemainder(dividingBy: j)
                if r != 0 && (r < 0) != (j < 0) {
                    q -= 1
                    r += j
                }
                return .int(op == "%" ? r : q)
            default:
                guard j >= 0 else { return .double(pow(x, y)) }
                result = power(i, j)
            }
            guard !result.1 else { throw .type("\(i) \(op) \(j) does not fit in 64 bits") }
            return .int(result.0)
        }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw .type("division by zero") }
            return .double(x / y)
        case "//", "%":
            guard y != 0 else { throw .type(op == "%" ? "modulo by zero" : "float division by zero") }
            let (quotient, remainder) = floatDivMod(x, y)
            return .double(op == "%" ? remainder : quotient)
        default: return .double(pow(x, y))
        }
    }

    /// Integer power by squaring, reporting overflow.
    private static func power(_ base: Int, _ exponent: Int) -> (Int, Bool) {
        var result = 1
        var factor = base
        var e = exponent
        while e > 0 {
            if e & 1 == 1 {
                let (r, o) = result.multipliedReportingOverflow(by: factor)
                if o { return (r, true) }
                result = r
            }
            e >>= 1
            if e > 0 {
                let (f, o) = factor.multipliedReportingOverflow(by: factor)
                if o { return (f, true) }
                factor = f
            }
        }
        return (result, false)
    }

    /// CPython's float `divmod`: the remainder has the divisor's sign, the quotient is floored.
    private static func floatDivMod(_ x: Double, _ y: Double) -> (Double, Double) {
        var mod = fmod(x, y)
        var div = (x - mod) / y
        if mod != 0 {
            if (y < 0) != (mod < 0) {
                mod += y
                div -= 1
            }
        } else {
            mod = y < 0 ? -0.0 : 0.0
        }
        guard div != 0 else { return ((x / y) < 0 ? -0.0 : 0.0, mod) }
        var floored = div.rounded(.down)
        if div - floored > 0.5 { floored += 1 }
        return (floored, mod)
    }

    // MARK: Helpers

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
