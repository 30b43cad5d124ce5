import LightServeCore

extension Grammar {
    /// One JSON value valid under `schema`, with whitespace as `JSONSchemaConverter` describes.
    ///
    /// Supported keywords: `type` (each JSON type, or a list), `properties` (generated in schema
    /// order; optional ones may be left out), `required`, `additionalProperties` (false, true or a
    /// schema; with `properties` given and `additionalProperties` absent only the listed
    /// properties are generated), `items`, `prefixItems`, `minItems`, `maxItems`, `enum`, `const`,
    /// `anyOf`, `oneOf` (only when no value can match two branches: different types, or different
    /// `const`/`enum` values of a property both branches require), `allOf` with one member,
    /// `$ref` to `#`, `#/$defs/...`, `#/definitions/...` or any local JSON pointer (recursion
    /// works), `minLength`, `maxLength`, `pattern` (searched, as JSON Schema does: anchor it with
    /// `^...$`), `format` (`date-time`, `date`, `time`, `uuid`, `email`, `ipv4`), `minimum`,
    /// `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (exact for integers; for numbers, integer
    /// bounds only, and bounded numbers are written without an exponent). Annotations (`title`,
    /// `description`, `default`, `examples`, `$schema`, `$id`, `$comment`, `deprecated`,
    /// `readOnly`, `writeOnly`) are ignored. Any other keyword, or a supported one used in a way
    /// that cannot be enforced exactly, is a `GrammarError.jsonSchema` naming its JSON pointer: a
    /// schema is never silently loosened. `{}` and `true` mean any JSON value.
    public static func jsonSchema(_ schema: JSON) throws(GrammarError) -> Grammar {
        var converter = JSONSchemaConverter(root: schema)
        return try converter.grammar()
    }

    /// Any JSON object (OpenAI's `json_object` response format): an object at the top level, any
    /// values inside, whitespace as in `jsonSchema(_:)`.
    public static let anyJSON: Grammar = {
        var converter = JSONSchemaConverter(root: .object([]))
        return converter.topLevel(.reference(converter.anyObjectRule()), name: "json-object")
    }()
}

/// Builds the grammar of a JSON Schema (see `Grammar.jsonSchema`).
///
/// Whitespace: between tokens the output may have nothing, one space, or one line break (`\n` or
/// `\r\n`) followed by up to 32 spaces or tabs of indentation; nothing before or after the top
/// value. That covers compact JSON, `json.dumps` spacing and pretty-printing to 16 levels of
/// two-space indentation, and cannot loop: a model cannot stall emitting whitespace forever.
///
/// Strings are JSON strings with proper escapes (no raw control characters, no lone surrogate
/// escapes); object keys of additional properties are spelled without escapes, so they can be
/// told apart from the listed properties exactly (they may repeat one another).
struct JSONSchemaConverter {
    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly",
        "writeOnly",
    ]
    static let supported: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "prefixItems", "minItems", "maxItems",
        "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "$defs", "definitions", "minLength", "maxLength",
        "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    ]
    static let maxNesting = 100
    static let maxIndentation = 32
    /// Each prefix item nests the grammar one level deeper.
    static let maxPrefixItems = 256
    /// Additional keys are told apart from listed names character by character, one level of
    /// nesting per character.
    static let maxListedNameLength = 256

    private let root: JSON
    private var rules: [Grammar.Rule] = []
    private var ruleForPointer: [String: Int] = [:]
    private var sharedRules: [String: Int] = [:]
    private var nesting = 0

    init(root: JSON) {
        self.root = root
    }

    mutating func grammar() throws(GrammarError) -> Grammar {
        let value = try referencedRule(pointer: "")
        let grammar = topLevel(.reference(value), name: "json-schema")
        let analysis = GrammarAnalysis(grammar)
        if let cycle = analysis.leftRecursion() {
            throw .jsonSchema(
                pointer: rules[cycle[0]].name,
                reason: "the schema refers to itself without consuming any input (\(cycle.map { rules[$0].name.isEmpty ? "#" : rules[$0].name }.joined(separator: " -> ")))")
        }
        guard analysis.productive[grammar.root] else {
            throw .jsonSchema(pointer: "", reason: "no JSON value satisfies the schema")
        }
        return grammar
    }

    /// The whole grammar: the value alone, so the answer ends where the value does. Whitespace
    /// allowed around it is where small models go instead of answering: SmolLM2 asked for prose
    /// spent 30 of 30 tokens on the line break and indentation before the value, and
    /// Qwen2.5-Coder-0.5B 33 tokens after a finished object before its end-of-sequence token.
    mutating func topLevel(_ value: GrammarExpression, name: String) -> Grammar {
        rules.append(Grammar.Rule(name: name, body: value))
        return Grammar(rules: rules, root: rules.count - 1)
    }

    // MARK: Schemas

    /// The rule for the schema at a JSON pointer into the document (made once, so `$ref` cycles
    /// become recursive rules).
    private mutating func referencedRule(pointer: String) throws(GrammarError) -> Int {
        if let rule = ruleForPointer[pointer] { return rule }
        guard let schema = resolve(pointer) else {
            throw .jsonSchema(pointer: pointer, reason: "the reference does not resolve to a schema in this document")
        }
        let rule = rules.count
        rules.append(Grammar.Rule(name: pointer, body: .choice([])))
        ruleForPointer[pointer] = rule
        rules[rule].body = try value(schema, at: pointer)
        return rule
    }

    private func resolve(_ pointer: String) -> JSON? {
        var node = root
        guard !pointer.isEmpty else { return node }
        for raw in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let token = String(raw).replacingOccurrences("~1", "/").replacingOccurrences("~0", "~")
            switch node {
            case .object:
                guard let next = node[token] else { return nil }
                node = next
            case .array(let items):
                guard let i = Int(token), items.indices.contains(i) else { return nil }
                node = items[i]
            default:
                return nil
            }
        }
        return node
    }

    /// The grammar of one value valid under `schema` (at `pointer`).
    private mutating func value(_ schema: JSON, at pointer: String) throws(GrammarError) -> GrammarExpression {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Self.maxNesting {
            throw .tooComplex("the schema nests more than \(Self.maxNesting) levels at \(pointer)")
        }
        switch schema {
        case .bool(true): return .reference(anyValueRule())
        case .bool(false): throw .jsonSchema(pointer: pointer, reason: "the schema false matches no value")
        case .object(let members):
            for (key, _) in members where !Self.supported.contains(key) && !Self.annotations.contains(key) {
                throw .jsonSchema(pointer: pointer + "/" + escape(key), reason: "the keyword \"\(key)\" is not supported")
            }
            let keys = Set(members.map(\.0)).subtracting(Self.annotations).subtracting(["$defs", "definitions"])
            if let ref = schema["$ref"] {
                try onlyKeywords(keys, ["$ref"], with: "$ref", at: pointer)
                guard case .string(let target) = ref, target == "#" || target.hasPrefix("#/") else {
                    throw .jsonSchema(pointer: pointer + "/$ref", reason: "only local references (#, #/$defs/...) are supported")
                }
                let path = String(target.dropFirst())
                return .reference(try referencedRule(pointer: decodePercent(path)))
            }
            if schema["const"] != nil || schema["enum"] != nil {
                return try constants(schema, keys: keys, at: pointer)
            }
            for keyword in ["anyOf", "oneOf", "allOf"] where schema[keyword] != nil {
                return try combination(keyword, schema, keys: keys, at: pointer)
            }
            return try typed(schema, at: pointer)
        default:
            throw .jsonSchema(pointer: pointer, reason: "a schema must be an object or a boolean, not \(schema.typeName)")
        }
    }

    private func onlyKeywords(_ keys: Set<String>, _ allowed: Set<String>, with keyword: String, at pointer: String) throws(GrammarError) {
        if let other = keys.subtracting(allowed).sorted().first {
            throw .jsonSchema(
                pointer: pointer + "/" + escape(other),
                reason: "\"\(other)\" next to \"\(keyword)\" is not supported (put the constraint inside the referenced or listed schemas)")
        }
    }

    /// `const` or `enum`, optionally with `type` (which filters the values).
    private mutating func constants(_ schema: JSON, keys: Set<String>, at pointer: String) throws(GrammarError) -> GrammarExpression {
        let keyword = schema["const"] != nil ? "const" : "enum"
        try onlyKeywords(keys, [keyword, "type"], with: keyword, at: pointer)
        var values: [JSON]
        if let c = schema["const"] {
            values = [c]
        } else {
            guard case .array(let list)? = schema["enum"], !list.isEmpty else {
                throw .jsonSchema(pointer: pointer + "/enum", reason: "enum must be a non-empty list")
            }
            values = list
        }
        if schema["type"] != nil {
            let types = try typeNames(schema, at: pointer)
            values = values.filter { Self.matches($0, types) }
            if values.isEmpty { throw .jsonSchema(pointer: pointer + "/type", reason: "no \(keyword) value has the type") }
        }
        let literals = values.map { GrammarExpression.text($0.serialized) }
        return literals.count == 1 ? literals[0] : .choice(literals)
    }

    private static func matches(_ value: JSON, _ types: Set<String>) -> Bool {
        switch value {
        case .null: types.contains("null")
        case .bool: types.contains("boolean")
        case .int: types.contains("integer") || types.contains("number")
        case .double(let d): types.contains("number") || (types.contains("integer") && d == d.rounded())
        case .string: types.contains("string")
        case .array: types.contains("array")
        case .object: types.contains("object")
        }
    }

    private mutating func combination(
        _ keyword: String, _ schema: JSON, keys: Set<String>, at pointer: String
    ) throws(GrammarError) -> GrammarExpression {
        try onlyKeywords(keys, [keyword], with: keyword, at: pointer)
        guard case .array(let branches)? = schema[keyword], !branches.isEmpty else {
            throw .jsonSchema(pointer: pointer + "/" + keyword, reason: "\(keyword) must be a non-empty list of schemas")
        }
        if keyword == "allOf" {
            guard branches.count == 1 else {
                throw .jsonSchema(pointer: pointer + "/allOf", reason: "allOf with more than one schema is not supported")
            }
            return try value(branches[0], at: pointer + "/allOf/0")
        }
        if keyword == "oneOf" {
            for i in branches.indices {
                for j in branches.indices where j > i {
                    guard disjoint(branches[i], branches[j]) else {
                        throw .jsonSchema(
                            pointer: pointer + "/oneOf",
                            reason: "branches \(i) and \(j) could both match one value, so oneOf cannot be enforced (use anyOf if either may match)")
                    }
                }
            }
        }
        var alternatives: [GrammarExpression] = []
        for (i, branch) in branches.enumerated() {
            alternatives.append(try value(branch, at: "\(pointer)/\(keyword)/\(i)"))
        }
        let rule = rules.count
        rules.append(Grammar.Rule(name: pointer + "/" + keyword, body: .choice(alternatives)))
        return .reference(rule)
    }

    // MARK: oneOf disjointness

    /// Whether no JSON value can satisfy both schemas, judged conservatively: their possible
    /// types differ, or both are constants with different values, or both are objects requiring a
    /// property whose constant values differ.
    private func disjoint(_ a: JSON, _ b: JSON) -> Bool {
        let a = dereferenced(a)
        let b = dereferenced(b)
        if let ta = possibleTypes(a), let tb = possibleTypes(b), ta.isDisjoint(with: tb) { return true }
        if let ca = constantValues(a), let cb = constantValues(b), !ca.contains(where: { cb.contains($0) }) { return true }
        guard case .object(let propsA)? = a["properties"], case .object(let propsB)? = b["properties"] else { return false }
        let requiredA = requiredNames(a)
        let requiredB = requiredNames(b)
        for (name, schemaA) in propsA where requiredA.contains(name) && requiredB.contains(name) {
            guard let schemaB = propsB.first(where: { $0.0 == name })?.1 else { continue }
            if let ca = constantValues(dereferenced(schemaA)), let cb = constantValues(dereferenced(schemaB)),
                !ca.contains(where: { cb.contains($0) })
            {
                return true
            }
        }
        return false
    }

    private func dereferenced(_ schema: JSON) -> JSON {
        var current = schema
        for _ in 0..<16 {
            guard case .string(let target)? = current["$ref"], target == "#" || target.hasPrefix("#/"),
                let next = resolve(decodePercent(String(target.dropFirst())))
            else { return current }
            current = next
        }
        return current
    }

    private func requiredNames(_ schema: JSON) -> Set<String> {
        guard case .array(let names)? = schema["required"] else { return [] }
        return Set(names.compactMap { if case .string(let s) = $0 { s } else { nil } })
    }

    private func constantValues(_ schema: JSON) -> [JSON]? {
        if let c = schema["const"] { return [c] }
        if case .array(let values)? = schema["enum"] { return values }
        return nil
    }

    /// The JSON types a schema's values can have, if the schema says (nil: any).
    private func possibleTypes(_ schema: JSON) -> Set<String>? {
        if let values = constantValues(schema) {
            return Set(values.map { v -> String in
                switch v {
                case .null: "null"
                case .bool: "boolean"
                case .int, .double: "number"
                case .string: "string"
                case .array: "array"
                case .object: "object"
                }
            })
        }
        var types: Set<String>
        switch schema["type"] {
        case .string(let t)?: types = [t]
        case .array(let list)?: types = Set(list.compactMap { if case .string(let s) = $0 { s } else { nil } })
        default:
            guard let inferred = inferredTypes(schema) else { return nil }
            types = inferred
        }
        if types.contains("integer") { types.remove("integer"); types.insert("number") }
        return types
    }

    /// The types implied by type-specific keywords when `type` is absent (nil if none appear).
    private func inferredTypes(_ schema: JSON) -> Set<String>? {
        var types: Set<String> = []
        if ["properties", "required", "additionalProperties"].contains(where: { schema[$0] != nil }) { types.insert("object") }
        if ["items", "prefixItems", "minItems", "maxItems"].contains(where: { schema[$0] != nil }) { types.insert("array") }
        if ["minLength", "maxLength", "pattern", "format"].contains(where: { schema[$0] != nil }) { types.insert("string") }
        if ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"].contains(where: { schema[$0] != nil }) {
            types.insert("number")
        }
        return types.isEmpty ? nil : types
    }

    // MARK: Typed values

    private func typeNames(_ schema: JSON, at pointer: String) throws(GrammarError) -> Set<String> {
        let known: Set<String> = ["null", "boolean", "integer", "number", "string", "array", "object"]
        var names: [String] = []
        switch schema["type"] {
        case .string(let t)?: names = [t]
        case .array(let list)?:
            for item in list {
                guard case .string(let t) = item else {
                    throw .jsonSchema(pointer: pointer + "/type", reason: "type must be a string or a list of strings")
                }
                names.append(t)
            }
        default:
            throw .jsonSchema(pointer: pointer + "/type", reason: "type must be a string or a list of strings")
        }
        for name in names where !known.contains(name) {
            throw .jsonSchema(pointer: pointer + "/type", reason: "unknown type \"\(name)\"")
        }
        guard !names.isEmpty else { throw .jsonSchema(pointer: pointer + "/type", reason: "the type list is empty") }
        return Set(names)
    }

    private mutating func typed(_ schema: JSON, at pointer: String) throws(GrammarError) -> GrammarExpression {
        var types: Set<String>
        if schema["type"] != nil {
            types = try typeNames(schema, at: pointer)
        } else if let inferred = inferredTypes(schema) {
            types = inferred
        } else {
            return .reference(anyValueRule())
        }
        if types.contains("number") { types.remove("integer") }
        var alternatives: [GrammarExpression] = []
        for type in ["null", "boolean", "integer", "number", "string", "array", "object"] where types.contains(type) {
            switch type {
            case "null": alternatives.append(.text("null"))
            case "boolean": alternatives.append(.choice([.text("true"), .text("false")]))
            case "integer": alternatives.append(try integer(schema, at: pointer))
            case "number": alternatives.append(try number(schema, at: pointer))
            case "string": alternatives.append(try string(schema, at: pointer))
            case "array": alternatives.append(try array(schema, at: pointer))
            default: alternatives.append(try object(schema, at: pointer))
            }
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    // MARK: Numbers

    private mutating func integer(_ schema: JSON, at pointer: String) throws(GrammarError) -> GrammarExpression {
        let (lower, upper) = try bounds(schema, at: pointer, integer: true)
        if lower == nil && upper == nil { return .reference(sharedRule("integer")) }
        // Strict bounds on integers become inclusive ones.
        func inclusive(_ b: NumericRange.Bound?, up: Bool) throws(GrammarError) -> Int64? {
            guard let b else { return nil }
            guard b.exclusive else { return b.value }
            let (v, overflow) = up ? b.value.addingReportingOverflow(1) : b.value.subtractingReportingOverflow(1)
            if overflow { throw GrammarError.jsonSchema(pointer: pointer, reason: "no integer satisfies the bounds") }
            return v
        }
        guard let range = NumericRange.integers(from: try inclusive(lower, up: true), through: try inclusive(upper, up: false)) else {
            throw .jsonSchema(pointer: pointer, reason: "no integer satisfies the bounds")
        }
        return range
    }

    private mutating func number(_ schema: JSON, at pointer: String) throws(GrammarError) -> GrammarExpression {
        let (lower, upper) = try bounds(schema, at: pointer, integer: false)
        if lower == nil && upper == nil { return .reference(sharedRule("number")) }
        guard let range = NumericRange.decimals(lower: lower, upper: upper) else {
            throw .jsonSchema(pointer: pointer, reason: "no number satisfies the bounds")
        }
        return range
    }

    /// The lower and upper bounds (`minimum`/`exclusiveMinimum`, `maximum`/`exclusiveMaximum`,
    /// draft 4's boolean `exclusiveMinimum` included), the tighter one where both are given.
    private func bounds(
        _ schema: JSON, at pointer: String, integer: Bool
    ) throws(GrammarError) -> (NumericRange.Bound?, NumericRange.Bound?) {
        func read(_ keyword: String, lower: Bool) throws(GrammarError) -> NumericRange.Bound? {
            guard let raw = schema[keyword] else { return nil }
            let at = pointer + "/" + keyword
            let value: Double
            switch raw {
            case .int(let i): return NumericRange.Bound(value: i, exclusive: keyword.hasPrefix("exclusive"))
            case .double(let d): value = d
            case .bool: return nil  // draft 4 form, applied to minimum/maximum below
            default: throw .jsonSchema(pointer: at, reason: "\(keyword) must be a number")
            }
            guard value.isFinite, abs(value) < 9.0e15 else {
                throw .jsonSchema(pointer: at, reason: "\(keyword) must be a finite number below 9e15 in magnitude")
            }
            let exclusive = keyword.hasPrefix("exclusive")
            if value == value.rounded() { return NumericRange.Bound(value: Int64(value), exclusive: exclusive) }
            guard integer else {
                throw .jsonSchema(pointer: at, reason: "\(keyword) of a number must be a whole number to be enforced exactly")
            }
            // A fractional bound on integers: the nearest integer inside it, inclusive.
            return NumericRange.Bound(value: Int64(lower ? value.rounded(.up) : value.rounded(.down)), exclusive: false)
        }
        var lower = try read("minimum", lower: true)
        var upper = try read("maximum", lower: false)
        if case .bool(true)? = schema["exclusiveMinimum"] { lower?.exclusive = true }
        if case .bool(true)? = schema["exclusiveMaximum"] { upper?.exclusive = true }
        if let strict = try read("exclusiveMinimum", lower: true) { lower = tighter(lower, strict, lower: true) }
        if let strict = try read("exclusiveMaximum", lower: false) { upper = tighter(upper, strict, lower: false) }
        return (lower, upper)
    }

    private func tighter(_ a: NumericRange.Bound?, _ b: NumericRange.Bound, lower: Bool) -> NumericRange.Bound {
        guard let a else { return b }
        if a.value == b.value { return NumericRange.Bound(value: a.value, exclusive: a.exclusive || b.exclusive) }
        return (a.value > b.value) == lower ? a : b
    }

    // MARK: Strings

    private mutating func string(_ schema: JSON, at pointer: String) throws(GrammarError) -> GrammarExpression {
        let minLength = try count(schema, "minLength", at: pointer)
        let maxLength = try count(schema, "maxLength", at: pointer)
        if let minLength, let maxLength, minLength > maxLength {
            throw .jsonSchema(pointer: pointer + "/maxLength", reason: "maxLength is below minLength")
        }
        let hasLength = minLength != nil || maxLength != nil
        let quote = GrammarExpression.text("\"")
        if let pattern = schema["pattern"] {
            if hasLength {
                throw .jsonSchema(pointer: pointer + "/pattern", reason: "pattern together with minLength/maxLength is not supported; put the length in the pattern")
            }
            if schema["format"] != nil {
                throw .jsonSchema(pointer: pointer + "/format", reason: "format together with pattern is not supported")
            }
            guard case .string(let text) = pattern else {
                throw .jsonSchema(pointer: pointer + "/pattern", reason: "pattern must be a string")
            }
            let parsed: RegexParser.Parsed
            do {
                parsed = try RegexParser.parse(text)
            } catch {
                throw .jsonSchema(pointer: pointer + "/pattern", reason: error.description)
            }
            // JSON Schema searches: an unanchored side may have any text.
            let any = GrammarExpression.repetition(anyStringCharacter(), min: 0, max: nil)
            let alternatives = parsed.alternatives.map { alternative in
                GrammarExpression.sequence([
                    alternative.anchoredStart ? .empty : any, alternative.node.jsonStringContent,
                    alternative.anchoredEnd ? .empty : any,
                ])
            }
            return .sequence([quote, alternatives.count == 1 ? alternatives[0] : .choice(alternatives), quote])
        }
        if let format = schema["format"] {
            if hasLength {
                throw .jsonSchema(pointer: pointer + "/format", reason: "format together with minLength/maxLength is not supported")
            }
            guard case .string(let name) = format, let regex = StringFormats.patterns[name] else {
                throw .jsonSchema(
                    pointer: pointer + "/format",
                    reason: "format \(format.serialized) is not supported (supported: \(StringFormats.patterns.keys.sorted().joined(separator: ", ")))")
            }
            return .reference(sharedRule("format:" + name, .sequence([quote, regex.jsonStringContent, quote])))
        }
        guard hasLength else { return .reference(sharedRule("string")) }
        return .reference(
            sharedRule(
                "string{\(minLength ?? 0),\(maxLength.map(String.init) ?? "")}",
                .sequence([
                    quote, .repetition(anyStringCharacter(), min: minLength ?? 0, max: maxLength), quote,
                ])))
    }

    private func count(_ schema: JSON, _ keyword: String, at pointer: String) throws(GrammarError) -> Int? {
        guard let raw = schema[keyword] else { return nil }
        switch raw {
        case .int(let i) where i >= 0 && i <= 1_000_000: return Int(i)
        case .double(let d) where d >= 0 && d <= 1_000_000 && d == d.rounded(): return Int(d)
        default: throw .jsonSchema(pointer: pointer + "/" + keyword, reason: "\(keyword) must be a whole number from 0 to 1000000")
        }
    }

    // MARK: Arrays

    private mutating func array(_ schema: JSON, at pointer: String) throws(GrammarError) -> GrammarExpression {
        var prefix: [GrammarExpression] = []
        if let raw = schema["prefixItems"] {
            guard case .array(let schemas) = raw else {
                throw .jsonSchema(pointer: pointer + "/prefixItems", reason: "prefixItems must be a list of schemas")
            }
            guard schemas.count <= Self.maxPrefixItems else {
                throw .tooComplex("more than \(Self.maxPrefixItems) prefixItems at \(pointer)/prefixItems")
            }
            for (i, s) in schemas.enumerated() { prefix.append(try value(s, at: "\(pointer)/prefixItems/\(i)")) }
        }
        var item: GrammarExpression? = .reference(anyValueRule())
        switch schema["items"] {
        case nil: break
        case .bool(false)?: item = nil
        case .array?:
            throw .jsonSchema(pointer: pointer + "/items", reason: "items as a list (draft 4 tuples) is not supported; use prefixItems")
        case let s?: item = try value(s, at: pointer + "/items")
        }
        let minItems = try count(schema, "minItems", at: pointer) ?? 0
        var maxItems = try count(schema, "maxItems", at: pointer)
        if item == nil { maxItems = min(maxItems ?? prefix.count, prefix.count) }
        if let maxItems, minItems > maxItems {
            throw .jsonSchema(pointer: pointer + "/minItems", reason: "no array satisfies minItems, maxItems and the item schemas")
        }
        let ws = whitespace()
        let separator = GrammarExpression.sequence([ws, .text(","), ws])

        // Elements from index i on, i of them already written.
        func elements(from i: Int) -> GrammarExpression {
            if i == prefix.count {
                guard let item else { return .empty }
                let low = max(minItems - i, 0)
                let high = maxItems.map { $0 - i }
                if i == 0 {
                    // The first element has no separator before it.
                    guard high.map({ $0 > 0 }) ?? true else { return .empty }
                    let rest = GrammarExpression.repetition(
                        .sequence([separator, item]), min: max(low - 1, 0), max: high.map { $0 - 1 })
                    let some = GrammarExpression.sequence([item, rest])
                    return low == 0 ? .optional(some) : some
                }
                return .repetition(.sequence([separator, item]), min: low, max: high)
            }
            if let maxItems, i >= maxItems { return .empty }
            let element = GrammarExpression.sequence([i == 0 ? .empty : separator, prefix[i], elements(from: i + 1)])
            return i < minItems ? element : .optional(element)
        }
        let rule = rules.count
        rules.append(Grammar.Rule(name: pointer.isEmpty ? "array" : pointer, body: .choice([])))
        rules[rule].body = .sequence([.text("["), ws, elements(from: 0), ws, .text("]")])
        return .reference(rule)
    }

    // MARK: Objects

    private mutating func object(_ schema: JSON, at pointer: String) throws(GrammarError) -> GrammarExpression {
        var listed: [(name: String, schema: JSON, pointer: String)] = []
        if let raw = schema["properties"] {
            guard case .object(let members) = raw else {
                throw .jsonSchema(pointer: pointer + "/properties", reason: "properties must be an object")
            }
            listed = members.map { ($0.0, $0.1, pointer + "/properties/" + escape($0.0)) }
        }
        var required = Set<String>()
        if let raw = schema["required"] {
            guard case .array(let names) = raw else {
                throw .jsonSchema(pointer: pointer + "/required", reason: "required must be a list of strings")
            }
            for name in names {
                guard case .string(let s) = name else {
                    throw .jsonSchema(pointer: pointer + "/required", reason: "required must be a list of strings")
                }
                required.insert(s)
            }
        }
        // Extra properties: a schema, or any value, or none.
        var extra: JSON? = nil
        switch schema["additionalProperties"] {
        case nil: extra = schema["properties"] == nil ? .bool(true) : nil
        case .bool(true)?: extra = .bool(true)
        case .bool(false)?: extra = nil
        case let s?: extra = s
        }
        for name in required.sorted() where !listed.contains(where: { $0.name == name }) {
            guard schema["additionalProperties"] != .bool(false) else {
                throw .jsonSchema(
                    pointer: pointer + "/required",
                    reason: "\"\(name)\" is required but not allowed (additionalProperties is false)")
            }
            listed.append((name, extra ?? .bool(true), pointer + "/additionalProperties"))
        }

        let ws = whitespace()
        let separator = GrammarExpression.sequence([ws, .text(","), ws])
        var members: [(expression: GrammarExpression, required: Bool)] = []
        for property in listed {
            let key = GrammarExpression.text(JSON.string(property.name).serialized)
            let v = ruleReference(try value(property.schema, at: property.pointer), name: property.pointer)
            members.append((.sequence([key, ws, .text(":"), ws, v]), required.contains(property.name)))
        }
        var extraMember: GrammarExpression? = nil
        if let extra {
            if let long = listed.first(where: { $0.name.unicodeScalars.count > Self.maxListedNameLength }) {
                throw .tooComplex(
                    "a property name longer than \(Self.maxListedNameLength) characters next to additionalProperties at \(long.pointer)")
            }
            let v = ruleReference(try value(extra, at: pointer + "/additionalProperties"), name: pointer + "/additionalProperties")
            let key = GrammarExpression.sequence([.text("\""), Self.keyExcluding(listed.map(\.name)), .text("\"")])
            extraMember = .sequence([key, ws, .text(":"), ws, v])
        }
        // Members in order, each optional one skippable; a separator before every member after
        // the first written. One alternative per choice of first member keeps this linear in the
        // number of members per alternative (quadratic overall, merged again by minimisation).
        func rest(from i: Int) -> GrammarExpression {
            var parts: [GrammarExpression] = []
            for m in members[i...] {
                let item = GrammarExpression.sequence([separator, m.expression])
                parts.append(m.required ? item : .optional(item))
            }
            if let extraMember { parts.append(.repetition(.sequence([separator, extraMember]), min: 0, max: nil)) }
            return .sequence(parts)
        }
        var firsts: [GrammarExpression] = []
        for (i, m) in members.enumerated() {
            firsts.append(.sequence([m.expression, rest(from: i + 1)]))
            if m.required { break }
        }
        let allOptional = !members.contains { $0.required }
        if allOptional, let extraMember {
            firsts.append(.sequence([extraMember, .repetition(.sequence([separator, extraMember]), min: 0, max: nil)]))
        }
        let body: GrammarExpression
        if firsts.isEmpty {
            body = .sequence([.text("{"), ws, .text("}")])
        } else {
            let inner = GrammarExpression.sequence([.choice(firsts), ws])
            body = .sequence([.text("{"), ws, allOptional ? .optional(inner) : inner, .text("}")])
        }
        let rule = rules.count
        rules.append(Grammar.Rule(name: pointer.isEmpty ? "object" : pointer, body: body))
        return .reference(rule)
    }

    /// `e` as a reference to a rule of its own, so the object grammar's copies of a member share
    /// it (the compiler copies it back in where it is small).
    private mutating func ruleReference(_ e: GrammarExpression, name: String) -> GrammarExpression {
        if case .reference = e { return e }
        rules.append(Grammar.Rule(name: name, body: e))
        return .reference(rules.count - 1)
    }

    /// The characters of an object key other than any of `names`, spelled without escapes.
    static func keyExcluding(_ names: [String]) -> GrammarExpression {
        let plain = CodePointSet.all.subtracting(JSONStringCharacters.mustEscape)
        let words = names.map { Array($0.unicodeScalars.map(\.value)) }.filter { $0.allSatisfy { plain.contains($0) } }
        func excluding(_ words: [[UInt32]], depth: Int) -> GrammarExpression {
            let anyRest = GrammarExpression.repetition(plain.utf8, min: 0, max: nil)
            guard !words.isEmpty else { return anyRest }
            var alternatives: [GrammarExpression] = []
            if !words.contains(where: { $0.count == depth }) { alternatives.append(.empty) }
            var byFirst: [UInt32: [[UInt32]]] = [:]
            for w in words where w.count > depth { byFirst[w[depth], default: []].append(w) }
            for (c, group) in byFirst.sorted(by: { $0.key < $1.key }) {
                alternatives.append(.sequence([.literal(CodePointSet.utf8Bytes(c)), excluding(group, depth: depth + 1)]))
            }
            let others = plain.subtracting(CodePointSet(byFirst.keys.map { $0...$0 }))
            alternatives.append(.sequence([others.utf8, anyRest]))
            return .choice(alternatives)
        }
        return excluding(words, depth: 0)
    }

    // MARK: Shared rules

    /// Any JSON value (recursive rules shared by every grammar).
    private mutating func anyValueRule() -> Int {
        _ = anyObjectRule()
        return sharedRules["value"]!
    }

    /// Any JSON object, with the rules of any value it needs.
    mutating func anyObjectRule() -> Int {
        if let rule = sharedRules["object"] { return rule }
        let value = rules.count
        let object = value + 1
        let array = value + 2
        sharedRules["value"] = value
        sharedRules["object"] = object
        sharedRules["array"] = array
        rules.append(Grammar.Rule(name: "value", body: .choice([]), isShared: true))
        rules.append(Grammar.Rule(name: "object", body: .choice([]), isShared: true))
        rules.append(Grammar.Rule(name: "array", body: .choice([]), isShared: true))
        let ws = whitespace()
        let string = GrammarExpression.reference(sharedRule("string"))
        let separator = GrammarExpression.sequence([ws, .text(","), ws])
        rules[value].body = .choice([
            .reference(object), .reference(array), string, .reference(sharedRule("number")), .text("true"),
            .text("false"), .text("null"),
        ])
        let member = GrammarExpression.sequence([string, ws, .text(":"), ws, .reference(value)])
        rules[object].body = .sequence([
            .text("{"), ws,
            .optional(.sequence([member, .repetition(.sequence([separator, member]), min: 0, max: nil), ws])),
            .text("}"),
        ])
        rules[array].body = .sequence([
            .text("["), ws,
            .optional(.sequence([.reference(value), .repetition(.sequence([separator, .reference(value)]), min: 0, max: nil), ws])),
            .text("]"),
        ])
        return object
    }

    /// One character of a JSON string in any valid spelling: raw, or an escape sequence (a shared
    /// rule, so a counted string's automaton has few states per character and `maxLength` stays
    /// cheap to compile; the first token that ends inside an escape there costs ~2.5 ms to mask,
    /// see `GrammarMatcher.fillMask`).
    private mutating func anyStringCharacter() -> GrammarExpression {
        .choice([JSONStringCharacters.raw, .reference(sharedRule("escape", JSONStringCharacters.escape))])
    }

    /// The bounded whitespace between tokens (a shared rule).
    private mutating func whitespace() -> GrammarExpression {
        .reference(
            sharedRule(
                "ws",
                .optional(
                    .choice([
                        .text(" "),
                        .sequence([
                            .optional(.text("\r")), .text("\n"),
                            .repetition(.bytes(ByteSet([0x20, 0x09])), min: 0, max: Self.maxIndentation),
                        ]),
                    ]))))
    }

    /// A shared rule by name: the given body, or one of the lexical rules.
    private mutating func sharedRule(_ name: String, _ body: GrammarExpression? = nil) -> Int {
        if let rule = sharedRules[name] { return rule }
        let digits = GrammarExpression.repetition(.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"))), min: 0, max: nil)
        let natural = GrammarExpression.choice([
            .text("0"), .sequence([.bytes(ByteSet(UInt8(ascii: "1")...UInt8(ascii: "9"))), digits]),
        ])
        let oneDigit = GrammarExpression.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9")))
        let definition: GrammarExpression
        switch name {
        case "string":
            // Escapes inline: a token that ends inside `\u00e9` then has a precomputed mask, where a
            // call would leave the escape rule mid-token and need the stack checked. Counted
            // strings call the escape rule instead, which keeps their per-character automaton
            // small.
            let character = GrammarExpression.choice([JSONStringCharacters.raw, JSONStringCharacters.escape])
            definition = .sequence([.text("\""), .repetition(character, min: 0, max: nil), .text("\"")])
        case "integer":
            definition = .choice([.text("0"), .sequence([.optional(.text("-")), .bytes(ByteSet(UInt8(ascii: "1")...UInt8(ascii: "9"))), digits])])
        case "number":
            definition = .sequence([
                .optional(.text("-")), natural,
                .optional(.sequence([.text("."), .repetition(oneDigit, min: 1, max: nil)])),
                .optional(.sequence([.bytes(ByteSet(Array("eE".utf8))), .optional(.bytes(ByteSet(Array("+-".utf8)))), .repetition(oneDigit, min: 1, max: nil)])),
            ])
        default:
            definition = body ?? .empty
        }
        let rule = rules.count
        rules.append(Grammar.Rule(name: name, body: definition, isShared: true))
        sharedRules[name] = rule
        return rule
    }

    private func escape(_ key: String) -> String {
        key.replacingOccurrences("~", "~0").replacingOccurrences("/", "~1")
    }

    /// `%xx` escapes in a reference's fragment (URI encoding of the pointer).
    private func decodePercent(_ s: String) -> String {
        guard s.contains("%") else { return s }
        var bytes: [UInt8] = []
        var utf8 = Array(s.utf8)[...]
        while let b = utf8.first {
            if b == UInt8(ascii: "%"), utf8.count >= 3,
                let hi = EBNFParser.digit(Unicode.Scalar(utf8[utf8.startIndex + 1]), radix: 16),
                let lo = EBNFParser.digit(Unicode.Scalar(utf8[utf8.startIndex + 2]), radix: 16)
            {
                bytes.append(UInt8(hi << 4 | lo))
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(b)
                utf8 = utf8.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    /// The string with every occurrence of `target` replaced (Foundation-free).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
