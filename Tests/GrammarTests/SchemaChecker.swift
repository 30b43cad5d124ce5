import Foundation
import LightServeCore

/// An independent validator for the JSON Schema keywords the converter supports, written
/// directly from the specification: random walks' outputs must pass it.
struct SchemaChecker {
    let root: JSON

    func isValid(_ value: JSON) -> Bool {
        isValid(value, against: root, depth: 0)
    }

    private func isValid(_ value: JSON, against schema: JSON, depth: Int) -> Bool {
        guard depth < 64 else { return false }
        switch schema {
        case .bool(let b): return b
        case .object: break
        default: return false
        }
        if case .string(let ref)? = schema["$ref"] {
            guard let target = resolve(String(ref.dropFirst())) else { return false }
            return isValid(value, against: target, depth: depth + 1)
        }
        if let c = schema["const"], !equal(value, c) { return false }
        if case .array(let options)? = schema["enum"], !options.contains(where: { equal(value, $0) }) { return false }
        if case .array(let branches)? = schema["anyOf"], !branches.contains(where: { isValid(value, against: $0, depth: depth + 1) }) {
            return false
        }
        if case .array(let branches)? = schema["oneOf"], branches.filter({ isValid(value, against: $0, depth: depth + 1) }).count != 1 {
            return false
        }
        if case .array(let branches)? = schema["allOf"], !branches.allSatisfy({ isValid(value, against: $0, depth: depth + 1) }) {
            return false
        }
        if let type = schema["type"] {
            let types: [String]
            switch type {
            case .string(let t): types = [t]
            case .array(let list): types = list.compactMap { if case .string(let s) = $0 { s } else { nil } }
            default: return false
            }
            guard types.contains(where: { hasType(value, $0) }) else { return false }
        }
        switch value {
        case .int, .double: return numberValid(value, schema)
        case .string(let s): return stringValid(s, schema)
        case .array(let items): return arrayValid(items, schema, depth: depth)
        case .object(let members): return objectValid(members, schema, depth: depth)
        default: return true
        }
    }

    private func resolve(_ pointer: String) -> JSON? {
        var node = root
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard let next = node[String(token)] else { return nil }
            node = next
        }
        return node
    }

    private func number(_ value: JSON) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    private func equal(_ a: JSON, _ b: JSON) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        return a == b
    }

    private func hasType(_ value: JSON, _ type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"): true
        case (.int, "integer"), (.int, "number"), (.double, "number"): true
        case (.double(let d), "integer"): d == d.rounded()
        default: false
        }
    }

    private func numberValid(_ value: JSON, _ schema: JSON) -> Bool {
        guard let x = number(value) else { return false }
        if let m = schema["minimum"].flatMap(number), x < m { return false }
        if let m = schema["maximum"].flatMap(number), x > m { return false }
        if let m = schema["exclusiveMinimum"].flatMap(number), x <= m { return false }
        if let m = schema["exclusiveMaximum"].flatMap(number), x >= m { return false }
        return true
    }

    private func stringValid(_ s: String, _ schema: JSON) -> Bool {
        let length = s.unicodeScalars.count
        if let m = schema["minLength"].flatMap(number), Double(length) < m { return false }
        if let m = schema["maxLength"].flatMap(number), Double(length) > m { return false }
        if case .string(let pattern)? = schema["pattern"] {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
            else { return false }
        }
        if case .string(let format)? = schema["format"] { return Self.formatValid(s, format) }
        return true
    }

    private func arrayValid(_ items: [JSON], _ schema: JSON, depth: Int) -> Bool {
        if let m = schema["minItems"].flatMap(number), Double(items.count) < m { return false }
        if let m = schema["maxItems"].flatMap(number), Double(items.count) > m { return false }
        var prefixCount = 0
        if case .array(let prefix)? = schema["prefixItems"] {
            prefixCount = prefix.count
            for (item, s) in zip(items, prefix) where !isValid(item, against: s, depth: depth + 1) { return false }
        }
        if let itemSchema = schema["items"] {
            for item in items.dropFirst(prefixCount) where !isValid(item, against: itemSchema, depth: depth + 1) {
                return false
            }
        }
        return true
    }

    private func objectValid(_ members: [(String, JSON)], _ schema: JSON, depth: Int) -> Bool {
        let properties: [(String, JSON)]
        if case .object(let p)? = schema["properties"] { properties = p } else { properties = [] }
        if case .array(let required)? = schema["required"] {
            for case .string(let name) in required where !members.contains(where: { $0.0 == name }) { return false }
        }
        for (key, value) in members {
            if let s = properties.first(where: { $0.0 == key })?.1 {
                if !isValid(value, against: s, depth: depth + 1) { return false }
            } else if let extra = schema["additionalProperties"], !isValid(value, against: extra, depth: depth + 1) {
                return false
            }
        }
        return true
    }

    /// The formats, checked by parsing (not by the converter's regexes).
    static func formatValid(_ s: String, _ format: String) -> Bool {
        func int(_ t: Substring) -> Int? { t.allSatisfy(\.isASCII) && t.allSatisfy(\.isNumber) ? Int(t) : nil }
        func date(_ t: Substring) -> Bool {
            let parts = t.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                let y = int(parts[0]), let m = int(parts[1]), let d = int(parts[2]), y >= 1, (1...12).contains(m)
            else { return false }
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
            let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
            return (1...days).contains(d)
        }
        func time(_ t: Substring) -> Bool {
            var rest = t
            var offsetOK = false
            if rest.hasSuffix("Z") {
                rest = rest.dropLast()
                offsetOK = true
            } else if rest.count > 6, let sign = rest.dropLast(5).last, sign == "+" || sign == "-" {
                let offset = rest.suffix(5)
                let hm = offset.split(separator: ":")
                offsetOK = hm.count == 2 && hm[0].count == 2 && hm[1].count == 2
                    && (int(hm[0]).map { $0 < 24 } ?? false) && (int(hm[1]).map { $0 < 60 } ?? false)
                rest = rest.dropLast(6)
            }
            guard offsetOK else { return false }
            let fields = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0].count == 2, fields[1].count == 2 else { return false }
            let secondParts = fields[2].split(separator: ".", omittingEmptySubsequences: false)
            guard secondParts[0].count == 2, secondParts.count <= 2, secondParts.count == 1 || !secondParts[1].isEmpty,
                secondParts.dropFirst().allSatisfy({ int($0) != nil }),
                let h = int(fields[0]), let mi = int(fields[1]), let se = int(secondParts[0])
            else { return false }
            return h < 24 && mi < 60 && se < 60
        }
        switch format {
        case "date": return date(s[...])
        case "time": return time(s[...])
        case "date-time":
            let halves = s.split(separator: "T", maxSplits: 1)
            return halves.count == 2 && date(halves[0]) && time(halves[1])
        case "uuid":
            let groups = s.split(separator: "-", omittingEmptySubsequences: false)
            return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
        case "ipv4":
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts.allSatisfy { p in
                guard let v = int(p), v <= 255 else { return false }
                return p == "0" || !p.hasPrefix("0")
            }
        case "email":
            let halves = s.split(separator: "@", omittingEmptySubsequences: false)
            guard halves.count == 2, !halves[0].isEmpty, !halves[0].hasPrefix("."), !halves[0].hasSuffix("."),
                !halves[0].contains("..")
            else { return false }
            let labels = halves[1].split(separator: ".", omittingEmptySubsequences: false)
            return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
                && labels.last!.count >= 2 && labels.last!.allSatisfy(\.isLetter)
        default: return false
        }
    }
}
