import LightServeCore

/// Reads typed, range-checked fields out of a JSON object, naming the field in every error.
/// Absent and `null` fields take their defaults; unknown fields are ignored (as LightLLM does).
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

    /// A number in `range`, as the engine's `Float`.
    func float(_ name: String, default fallback: Float, in range: ClosedRange<Double>, excludingLowerBound: Bool = false) throws(APIError) -> Float {
        let rule = excludingLowerBound
            ? "greater than \(Self.format(range.lowerBound)) and at most \(Self.format(range.upperBound))"
            : "between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))"
        let check: (Double) -> Bool = { range.contains($0) && !(excludingLowerBound && $0 == range.lowerBound) }
        return Float(try number(name, default: Double(fallback), check, rule))
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
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

    /// An integer in `range`; the message names the range.
    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>, _ bounds: String? = nil) throws(APIError) -> Int {
        try integer(name, default: fallback, { range.contains($0) }, bounds ?? "between \(range.lowerBound) and \(range.upperBound)")
    }

    /// LightLLM's `exponential_decay_length_penalty`: `[start, factor]`, start ≥ 0, factor ≥ 1.
    func lengthPenalty(_ name: String) throws(APIError) -> SamplingParameters.LengthPenalty {
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

    func optionalSeed(_ name: String) throws(APIError) -> UInt64? {
        guard let v = value(name) else { return nil }
        guard case .int(let i) = v, i >= 0 else {
            throw APIError.invalid(path + name, "must be an integer between 0 and \(Int64.max), got \(v.serialized)")
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
