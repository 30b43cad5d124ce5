import LightServeCore

/// Reads typed, range-checked fields out of a JSON object, naming the field in every error.
/// Absent and `null` fields take their defaults; unknown fields are ignored (as LightLLM does).
/// Fields are read through their ``RequestField`` declarations: the range checked, the rule a
/// 400 states and the default come from there, as `/openapi.json` does.
struct ParameterReader {
    let object: JSON
    /// Prefix for field names in messages, such as `parameters.`.
    let path: String

    init(_ object: JSON?, path: String = "") throws(APIError) {
        let object = object ?? .object([])
        guard case .object = object else {
            throw APIError.invalid(path.isEmpty ? "body" : String(path.dropLast()), "must be an object, got \(object.typeName)")
        }
        self.object = object
        self.path = path
    }

    private func value(_ name: String) -> JSON? {
        guard let v = object[name], v != .null else { return nil }
        return v
    }

    /// The field's value; nil when absent or `null`.
    subscript(name: String) -> JSON? { value(name) }

    /// Every field, in order.
    var members: [(String, JSON)] {
        if case .object(let members) = object { return members }
        return []
    }

    func has(_ name: String) -> Bool { value(name) != nil }

    func bool(_ name: String, default fallback: Bool) throws(APIError) -> Bool {
        guard let v = value(name) else { return fallback }
        guard case .bool(let b) = v else { throw APIError.invalid(path + name, "must be true or false, got \(v.typeName)") }
        return b
    }

    func number(_ name: String, default fallback: Double, _ check: (Double) -> Bool, _ rule: String) throws(APIError) -> Double {
        guard let v = value(name) else { return fallback }
        let d: Double
        switch v {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default: throw APIError.invalid(path + name, "must be a number, got \(v.typeName)")
        }
        guard d.isFinite, Float(d).isFinite, check(d) else {
            throw APIError.invalid(path + name, "must be \(rule), got \(JSON.double(d).serialized)")
        }
        return d
    }

    func integer(_ name: String, default fallback: Int, _ check: (Int) -> Bool, _ rule: String) throws(APIError) -> Int {
        guard let v = value(name) else { return fallback }
        let i: Int
        switch v {
        case .int(let x): i = Int(x)
        case .double(let x) where x == x.rounded() && abs(x) < 1e15: i = Int(x)
        case .double(let x): throw APIError.invalid(path + name, "must be an integer, got \(x)")
        default: throw APIError.invalid(path + name, "must be an integer, got \(v.typeName)")
        }
        guard check(i) else { throw APIError.invalid(path + name, "must be \(rule), got \(i)") }
        return i
    }

    /// A boolean field, its declared default when absent.
    func bool(_ field: RequestField) throws(APIError) -> Bool {
        try bool(field.name, default: field.defaultValue == .bool(true))
    }

    /// A number field in its declared range, as the engine's `Float`.
    func float(_ field: RequestField) throws(APIError) -> Float {
        guard case .number(let range, let exclusive) = field.kind else { preconditionFailure("\(field.name) is not a number") }
        let fallback: Double
        switch field.defaultValue {
        case .double(let d)?: fallback = d
        case .int(let i)?: fallback = Double(i)
        default: fallback = 0
        }
        let check: (Double) -> Bool = { range.contains($0) && !(exclusive && $0 == range.lowerBound) }
        return Float(try number(field.name, default: fallback, check, field.rangeRule))
    }

    /// An integer field in its declared range, or in `narrowed` (a bound another field sets) with
    /// `rule` naming it; `fallback` when absent, else the declared default.
    func integer(_ field: RequestField, default fallback: Int? = nil, in narrowed: ClosedRange<Int>? = nil, _ rule: String? = nil)
        throws(APIError) -> Int
    {
        guard case .integer(let declared, let orMinusOne) = field.kind else { preconditionFailure("\(field.name) is not an integer") }
        let range = narrowed ?? declared
        let base: Int
        if let fallback { base = fallback } else if case .int(let i)? = field.defaultValue { base = Int(i) } else { base = range.lowerBound }
        return try integer(field.name, default: base, { range.contains($0) || (orMinusOne && $0 == -1) }, rule ?? field.rangeRule)
    }

    /// A string field; nil when absent.
    func string(_ field: RequestField) throws(APIError) -> String? {
        guard let v = value(field.name) else {
            if field.required { throw APIError.invalid(path + field.name, "is required and must be a string") }
            return nil
        }
        guard case .string(let s) = v else {
            throw APIError.invalid(path + field.name, field.required ? "is required and must be a string" : "must be a string, got \(v.typeName)")
        }
        return s
    }

    /// A string-or-list field (``RequestField/Kind/strings(maxItems:)``).
    func strings(_ field: RequestField) throws(APIError) -> [String] {
        guard case .strings(let maxItems) = field.kind else { preconditionFailure("\(field.name) is not a string list") }
        return try strings(field.name, max: maxItems)
    }

    /// Checks a field the server takes without reading its value (`user`, `metadata`): its
    /// JSON type must be the declared one. Fields whose value is read are checked by their reads.
    func check(_ field: RequestField) throws(APIError) {
        guard let v = value(field.name) else { return }
        let ok: Bool
        let expected: String
        switch field.kind {
        case .boolean:
            if case .bool = v { ok = true } else { ok = false }
            expected = "true or false"
        case .string, .nonEmptyString: (ok, expected) = (v.string != nil, "a string")
        case .object: (ok, expected) = (v.isObject, "an object")
        case .unsupported: throw APIError.invalid(path + field.name, "is not supported by LightServe")
        default: preconditionFailure("\(field.name) is checked by its own read")
        }
        guard ok else { throw APIError.invalid(path + field.name, "must be \(expected), got \(v.typeName)") }
    }

    /// LightLLM's `exponential_decay_length_penalty`: `[start, factor]`, start ≥ 0, factor ≥ 1.
    func lengthPenalty(_ field: RequestField) throws(APIError) -> SamplingParameters.LengthPenalty {
        let name = field.name
        guard let v = value(name) else { return SamplingParameters.LengthPenalty() }
        let rule = "must be [start, factor]: an integer start ≥ 0 and a factor between 1 and \(Int(SamplingParameters.maxPenalty))"
        guard case .array(let pair) = v, pair.count == 2, case .int(let start) = pair[0], start >= 0, start <= Int64(Int32.max)
        else { throw APIError.invalid(path + name, rule) }
        let factor: Double
        switch pair[1] {
        case .int(let i): factor = Double(i)
        case .double(let d): factor = d
        default: throw APIError.invalid(path + name, rule)
        }
        guard factor >= 1, factor <= SamplingParameters.maxPenalty else { throw APIError.invalid(path + name, rule) }
        return SamplingParameters.LengthPenalty(start: Int(start), factor: Float(factor))
    }

    func optionalSeed(_ field: RequestField) throws(APIError) -> UInt64? {
        guard let v = value(field.name) else { return nil }
        guard case .int(let i) = v, i >= 0 else {
            throw APIError.invalid(path + field.name, "must be an integer between 0 and \(Int64.max), got \(v.serialized)")
        }
        return UInt64(i)
    }

    /// A string or a list of strings.
    func strings(_ name: String, max: Int) throws(APIError) -> [String] {
        guard let v = value(name) else { return [] }
        let list: [String]
        switch v {
        case .string(let s): list = [s]
        case .array(let items):
            var strings: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    throw APIError.invalid(path + name, "must be a string or a list of strings, found \(item.typeName) in the list")
                }
                strings.append(s)
            }
            list = strings
        default: throw APIError.invalid(path + name, "must be a string or a list of strings, got \(v.typeName)")
        }
        guard list.count <= max else { throw APIError.invalid(path + name, "at most \(max) entries, got \(list.count)") }
        guard !list.contains(where: \.isEmpty) else { throw APIError.invalid(path + name, "entries must not be empty") }
        return list
    }
}
