/// The Python methods templates call on strings and dicts (`content.strip()`,
/// `message.get('tool_calls')`), and the `%` and `format` string formatting they rest on.
enum JinjaMethods {
    typealias Body = @Sendable (_ arguments: [JinjaValue], _ keywords: [(String, JinjaValue)]) throws(JinjaError) -> JinjaValue

    private static func method(_ name: String, _ body: @escaping Body) -> JinjaValue {
        .callable(JinjaCallable(name: name) { arguments, keywords, _ throws(JinjaError) in try body(arguments, keywords) })
    }

    /// The positional argument `i`, or the keyword `key`.
    static func argument(_ arguments: [JinjaValue], _ keywords: [(String, JinjaValue)], _ i: Int, _ key: String) -> JinjaValue? {
        keywords.first { $0.0 == key }?.1 ?? (i < arguments.count ? arguments[i] : nil)
    }

    /// An optional string argument (`None` counts as absent, as Python's `strip(None)`).
    private static func text(_ value: JinjaValue?, _ method: String) throws(JinjaError) -> String? {
        switch value {
        case nil, .none?: return nil
        case .string(let s)?: return s
        case let other?: throw .type("\(method)() takes a string, got \(other.typeName)")
        }
    }

    private static func int(_ value: JinjaValue?, _ method: String, default fallback: Int) throws(JinjaError) -> Int {
        switch value {
        case nil, .none?: return fallback
        case let v? where v.integer != nil: return v.integer!
        case let other?: throw .type("\(method)() takes an integer, got \(other.typeName)")
        }
    }

    static func string(_ s: String, _ name: String) -> JinjaValue? {
        switch name {
        case "strip", "lstrip", "rstrip":
            return method(name) { a, k throws(JinjaError) in
                .string(PythonString.strip(s, try text(argument(a, k, 0, "chars"), name), leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "upper": return method(name) { _, _ throws(JinjaError) in .string(s.uppercased()) }
        case "lower": return method(name) { _, _ throws(JinjaError) in .string(s.lowercased()) }
        case "title": return method(name) { _, _ throws(JinjaError) in .string(PythonString.title(s)) }
        case "capitalize": return method(name) { _, _ throws(JinjaError) in .string(PythonString.capitalize(s)) }
        case "startswith", "endswith":
            return method(name) { a, _ throws(JinjaError) in
                let candidates: [String] =
                    switch a.first {
                    case .list(let l)?: l.map(\.rendered)
                    case .string(let p)?: [p]
                    default: throw .type("\(name)() takes a string or a tuple of strings")
                    }
                return .bool(candidates.contains { c in
                    let (whole, part) = (PythonString.scalars(s), PythonString.scalars(c))
                    return name == "startswith" ? whole.starts(with: part) : whole.reversed().starts(with: part.reversed())
                })
            }
        case "split", "rsplit":
            return method(name) { a, k throws(JinjaError) in
                let separator = try text(argument(a, k, 0, "sep"), name)
                guard separator != "" else { throw .type("\(name)() separator must not be empty") }
                let maxSplit = try int(argument(a, k, 1, "maxsplit"), name, default: -1)
                return .list(PythonString.split(s, separator, maxSplit: maxSplit, fromEnd: name == "rsplit").map { .string($0) })
            }
        case "splitlines":
            return method(name) { _, _ throws(JinjaError) in .list(PythonString.splitLines(s).map { .string($0) }) }
        case "replace":
            return method(name) { a, k throws(JinjaError) in
                guard a.count >= 2, case .string(let old) = a[0], case .string(let new) = a[1] else {
                    throw .type("replace() takes two strings")
                }
                return .string(PythonString.replace(s, old, new, count: try int(argument(a, k, 2, "count"), name, default: -1)))
            }
        case "join":
            return method(name) { a, _ throws(JinjaError) in
                let items = try (a.first ?? .list([])).iterated()
                guard items.allSatisfy(\.isString) else { throw .type("join() takes strings") }
                return .string(items.map(\.rendered).joined(separator: s))
            }
        case "find", "rfind", "index", "rindex":
            return method(name) { a, _ throws(JinjaError) in
                guard case .string(let sub)? = a.first else { throw .type("\(name)() takes a string") }
                let haystack = PythonString.scalars(s)
                let start = try int(a.count > 1 ? a[1] : nil, name, default: 0)
                let end = try int(a.count > 2 ? a[2] : nil, name, default: haystack.count)
                func resolve(_ i: Int) -> Int { i < 0 ? max(0, haystack.count + i) : i }
                let found = PythonString.find(
                    haystack, PythonString.scalars(sub), from: resolve(start), upTo: resolve(end), last: name.hasPrefix("r"))
                if found == nil && name.hasSuffix("index") { throw .type("\(name)(): substring not found") }
                return .int(found ?? -1)
            }
        case "count":
            return method(name) { a, _ throws(JinjaError) in
                guard case .string(let sub)? = a.first else { throw .type("count() takes a string") }
                return .int(PythonString.count(s, sub))
            }
        case "partition", "rpartition":
            return method(name) { a, _ throws(JinjaError) in
                guard case .string(let separator)? = a.first, !separator.isEmpty else { throw .type("\(name)() takes a non-empty string") }
                let pieces = PythonString.split(s, separator, maxSplit: 1, fromEnd: name == "rpartition")
                guard pieces.count == 2 else {
                    return .list(name == "partition" ? [.string(s), .string(""), .string("")] : [.string(""), .string(""), .string(s)])
                }
                return .list([.string(pieces[0]), .string(separator), .string(pieces[1])])
            }
        case "removeprefix", "removesuffix":
            return method(name) { a, _ throws(JinjaError) in
                guard case .string(let affix)? = a.first else { throw .type("\(name)() takes a string") }
                let (whole, part) = (PythonString.scalars(s), PythonString.scalars(affix))
                if name == "removeprefix", whole.starts(with: part) { return .string(PythonString.string(whole.dropFirst(part.count))) }
                if name == "removesuffix", !part.isEmpty, whole.reversed().starts(with: part.reversed()) {
                    return .string(PythonString.string(whole.dropLast(part.count)))
                }
                return .string(s)
            }
        case "center", "ljust", "rjust":
            return method(name) { a, _ throws(JinjaError) in
                let width = try int(a.first, name, default: 0)
                var fill: Unicode.Scalar = " "
                if a.count > 1 {
                    guard case .string(let f) = a[1], f.unicodeScalars.count == 1 else { throw .type("\(name)() fill must be one character") }
                    fill = f.unicodeScalars.first!
                }
                let alignment: PythonString.Alignment = name == "center" ? .center : name == "ljust" ? .left : .right
                return .string(try PythonString.pad(s, width: width, fill: fill, alignment: alignment))
            }
        case "zfill":
            return method(name) { a, _ throws(JinjaError) in
                let width = try int(a.first, name, default: 0)
                let items = PythonString.scalars(s)
                guard width > items.count else { return .string(s) }
                guard width <= PythonString.maxWidth else { throw .type("zfill to \(width) characters is more than the \(PythonString.maxWidth) allowed") }
                let zeros = Array(repeating: Unicode.Scalar("0"), count: width - items.count)
                if let sign = items.first, sign == "+" || sign == "-" {
                    return .string(PythonString.string([sign] + zeros + items.dropFirst()))
                }
                return .string(PythonString.string(zeros + items))
            }
        case "isspace": return predicate(name, s) { PythonString.all($0, PythonString.isSpace) }
        case "isdigit":
            return predicate(name, s) { PythonString.all($0) { $0.properties.numericType == .decimal || $0.properties.numericType == .digit } }
        case "isdecimal": return predicate(name, s) { PythonString.all($0) { $0.properties.numericType == .decimal } }
        case "isnumeric": return predicate(name, s) { PythonString.all($0) { $0.properties.numericType != nil } }
        case "isalpha": return predicate(name, s) { PythonString.all($0, isLetter) }
        case "isalnum": return predicate(name, s) { PythonString.all($0) { isLetter($0) || $0.properties.numericType != nil } }
        case "islower": return predicate(name, s) { PythonString.isCase($0, upper: false) }
        case "isupper": return predicate(name, s) { PythonString.isCase($0, upper: true) }
        case "format":
            return method(name) { a, k throws(JinjaError) in .string(try braceFormat(s, a, k)) }
        default: return nil
        }
    }

    private static func predicate(_ name: String, _ s: String, _ test: @escaping @Sendable (String) -> Bool) -> JinjaValue {
        method(name) { _, _ throws(JinjaError) in .bool(test(s)) }
    }

    private static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    static func dict(_ d: JinjaDict, _ name: String) -> JinjaValue? {
        switch name {
        case "items": return method(name) { _, _ throws(JinjaError) in .list(d.keys.map { .list([.string($0), d.values[$0]!]) }) }
        case "keys": return method(name) { _, _ throws(JinjaError) in .list(d.keys.map { .string($0) }) }
        case "values": return method(name) { _, _ throws(JinjaError) in .list(d.keys.map { d.values[$0]! }) }
        case "get":
            return method(name) { a, _ throws(JinjaError) in
                guard let key = a.first else { throw .type("get() takes a key") }
                guard case .string(let k) = key else { return a.count > 1 ? a[1] : .none }
                return d[k] ?? (a.count > 1 ? a[1] : .none)
            }
        default: return nil
        }
    }

    // MARK: Formatting

    /// `str.format`: `{}`, `{0}` and `{name}` fields and `{{`/`}}`; format specs are refused.
    private static func braceFormat(_ s: String, _ arguments: [JinjaValue], _ keywords: [(String, JinjaValue)]) throws(JinjaError) -> String {
        let items = PythonString.scalars(s)
        var out = ""
        var automatic = 0
        var i = 0
        while i < items.count {
            let c = items[i]
            if (c == "{" || c == "}"), i + 1 < items.count, items[i + 1] == c {
                out.unicodeScalars.append(c)
                i += 2
                continue
            }
            guard c == "{" else {
                guard c != "}" else { throw .type("format(): single '}' in the format string") }
                out.unicodeScalars.append(c)
                i += 1
                continue
            }
            guard let close = items[i...].firstIndex(of: "}") else { throw .type("format(): unclosed '{'") }
            let field = PythonString.string(items[(i + 1)..<close])
            guard !field.contains(":"), !field.contains("!") else {
                throw .type("format(): field '{\(field)}' uses a conversion or format spec, which LightServe's Jinja interpreter does not support")
            }
            let value: JinjaValue?
            if field.isEmpty {
                value = automatic < arguments.count ? arguments[automatic] : nil
                automatic += 1
            } else if let n = Int(field) {
                value = n >= 0 && n < arguments.count ? arguments[n] : nil
            } else {
                value = keywords.first { $0.0 == field }?.1
            }
            guard let value else { throw .type("format(): no argument for field '{\(field)}'") }
            out += value.rendered
            i = close + 1
        }
        return out
    }

    /// printf-style `format % values` for `%s`, `%r`, `%d`/`%i` and `%%`, with `-` and a width;
    /// a list is the tuple of values, a dict serves `%(name)s`.
    static func percentFormat(_ s: String, _ values: JinjaValue) throws(JinjaError) -> String {
        let items = PythonString.scalars(s)
        var positional: [JinjaValue] = if case .list(let l) = values { l } else { [values] }
        var out = ""
        var i = 0
        while i < items.count {
            guard items[i] == "%" else {
                out.unicodeScalars.append(items[i])
                i += 1
                continue
            }
            i += 1
            var value: JinjaValue?
            if i < items.count, items[i] == "(" {
                guard let close = items[i...].firstIndex(of: ")"), case .dict(let d) = values else {
                    throw .type("'%(name)' formatting needs a dict")
                }
                let key = PythonString.string(items[(i + 1)..<close])
                guard let named = d[key] else { throw .type("'%(\(key))' has no value in the dict") }
                value = named
                i = close + 1
            }
            var leftAlign = false
            while i < items.count, items[i] == "-" {
                leftAlign = true
                i += 1
            }
            var width = 0
            while i < items.count, let digit = items[i].properties.numericType == .decimal ? Int(String(items[i])) : nil {
                width = width * 10 + digit
                guard width <= PythonString.maxWidth else { throw .type("a field width in '\(s)' is more than the \(PythonString.maxWidth) allowed") }
                i += 1
            }
            guard i < items.count else { throw .type("incomplete format: '\(s)'") }
            let conversion = items[i]
            i += 1
            if conversion == "%" {
                out += "%"
                continue
            }
            if value == nil {
                guard !positional.isEmpty else { throw .type("not enough arguments for format string '\(s)'") }
                value = positional.removeFirst()
            }
            let text: String
            switch conversion {
            case "s": text = value!.rendered
            case "r": text = value!.representation
            case "d", "i":
                switch value! {
                case let v where v.integer != nil: text = String(v.integer!)
                case .double(let d) where d.isFinite && abs(d) < 9e18: text = String(Int(d))
                default: throw .type("%\(conversion) format needs a number, got \(value!.typeName)")
                }
            default:
                throw .type("'%\(conversion)' formatting, which LightServe's Jinja interpreter does not support")
            }
            let padding = String(repeating: " ", count: max(0, width - text.unicodeScalars.count))
            out += leftAlign ? text + padding : padding + text
        }
        return out
    }
}
