import LightServeCore

/// One field of a request body, declared once: its name, the JSON it takes (type and range), its
/// default and what it does. ``ParameterReader`` reads the field through this description (the
/// range it checks and the rule its 400 names come from ``kind``), and ``OpenAPIDocument``
/// writes the same description into `/openapi.json` as JSON Schema, so a field the parser
/// reads is documented and a changed range changes both.
public struct RequestField: Sendable {
    /// The JSON a field takes. `null` is always accepted and means "absent".
    public indirect enum Kind: Sendable {
        case boolean
        /// An integer in `range`; `orMinusOne` also takes -1 (top_k's "off").
        case integer(ClosedRange<Int>, orMinusOne: Bool = false)
        /// A finite number in `range`, above its lower bound only when `exclusiveMinimum`.
        case number(ClosedRange<Double>, exclusiveMinimum: Bool = false)
        case string
        /// A non-empty string (a regular expression, a grammar).
        case nonEmptyString
        /// A string, or a list of at most `maxItems` non-empty strings (stop sequences).
        case strings(maxItems: Int)
        /// A text or a list of token ids. Token ids are checked against the vocabulary
        /// (`vocabulary` ids) by the Tokenize stage; the document states the bound.
        case prompt(vocabulary: Int)
        /// A text, a token list, a list of texts or a list of token lists.
        case promptBatch(vocabulary: Int)
        /// A non-empty list of token ids.
        case tokenIDs(vocabulary: Int)
        /// A JSON Schema: an object or a boolean, or the text of one.
        case jsonSchema
        /// An object with the given fields (and, unless `closed`, any others).
        case object([RequestField], closed: Bool = false)
        /// A shape a reader of its own checks; `schema` describes it, and its `type` lists the
        /// JSON types it takes.
        case shaped(JSON)
        /// Refused unless absent or `null`: a field LightServe cannot honour, named in its 400.
        case unsupported
    }

    public let name: String
    public let kind: Kind
    /// The value an absent field takes, when it is a constant.
    public let defaultValue: JSON?
    /// What the field does, for the document.
    public let summary: String
    /// The rule a 400 states, when the range alone does not say it (a bound from a flag).
    let rule: String?
    /// Whether the body must have it.
    public let required: Bool

    init(
        _ name: String, _ kind: Kind, default defaultValue: JSON? = nil, required: Bool = false, rule: String? = nil,
        _ summary: String
    ) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
        self.rule = rule
        self.required = required
    }

    /// The rule an out-of-range value breaks, as the 400 states it.
    var rangeRule: String {
        if let rule { return rule }
        switch kind {
        case .integer(let range, let orMinusOne):
            return orMinusOne ? "-1 or between \(range.lowerBound) and \(range.upperBound)"
                : "between \(range.lowerBound) and \(range.upperBound)"
        case .number(let range, let exclusive):
            let (low, high) = (Self.format(range.lowerBound), Self.format(range.upperBound))
            return exclusive ? "greater than \(low) and at most \(high)" : "between \(low) and \(high)"
        default:
            return ""
        }
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    /// The field's JSON Schema (2020-12, as OpenAPI 3.1 takes it); `null` is allowed wherever
    /// the parser reads it as absent.
    public var schema: JSON {
        // A required field must be there: null reads as absent, so it is refused.
        func types(_ names: String...) -> JSON {
            required ? (names.count == 1 ? .string(names[0]) : .array(names.map { .string($0) })) : Self.types(names)
        }
        var members: [(String, JSON)]
        switch kind {
        case .boolean:
            members = [("type", types("boolean"))]
        case .integer(let range, let orMinusOne):
            members = [("type", types("integer"))]
            if orMinusOne {
                members.append(("anyOf", .array([
                    .object([("const", -1)]),
                    .object([("minimum", .int(Int64(range.lowerBound))), ("maximum", .int(Int64(range.upperBound)))]),
                ])))
            } else {
                members += [("minimum", .int(Int64(range.lowerBound))), ("maximum", .int(Int64(range.upperBound)))]
            }
        case .number(let range, let exclusive):
            members = [
                ("type", types("number")), (exclusive ? "exclusiveMinimum" : "minimum", .double(range.lowerBound)),
                ("maximum", .double(range.upperBound)),
            ]
        case .string:
            members = [("type", types("string"))]
        case .nonEmptyString:
            members = [("type", types("string")), ("minLength", 1)]
        case .strings(let maxItems):
            members = [
                ("type", types("string", "array")),
                ("items", .object([("type", "string"), ("minLength", 1)])), ("maxItems", .int(Int64(maxItems))),
            ]
        case .prompt(let vocabulary):
            members = [("type", types("string", "array")), ("items", Self.tokenID(vocabulary))]
        case .promptBatch(let vocabulary):
            let id = Self.tokenID(vocabulary)
            members = [
                ("type", types("string", "array")), ("minItems", 1),
                ("items", .object([("anyOf", .array([
                    .object([("type", "string")]), id, .object([("type", "array"), ("items", id)]),
                ]))])),
            ]
        case .tokenIDs(let vocabulary):
            members = [("type", types("array")), ("minItems", 1), ("items", Self.tokenID(vocabulary))]
        case .jsonSchema:
            members = [("type", types("object", "boolean", "string"))]
        case .object(let fields, let closed):
            members = Self.objectMembers(fields, closed: closed, type: types("object"))
        case .shaped(let schema):
            guard case .object(let given) = schema else { return schema }
            members = given
        case .unsupported:
            members = [("type", "null")]
        }
        if let defaultValue { members.append(("default", defaultValue)) }
        members.append(("description", .string(summary)))
        return .object(members)
    }

    /// An object schema's members: its fields as properties, the required ones listed.
    static func objectMembers(_ fields: [RequestField], closed: Bool, type: JSON) -> [(String, JSON)] {
        var members: [(String, JSON)] = [("type", type), ("properties", .object(fields.map { ($0.name, $0.schema) }))]
        let required = fields.filter(\.required).map { JSON.string($0.name) }
        if !required.isEmpty { members.append(("required", .array(required))) }
        if closed { members.append(("additionalProperties", false)) }
        return members
    }

    /// `type` with `null` added: an absent field and a `null` one read the same.
    static func types(_ names: String...) -> JSON { types(names) }

    static func types(_ names: [String]) -> JSON {
        .array((names + ["null"]).map { .string($0) })
    }

    /// A token id of a vocabulary of `vocabulary` tokens.
    static func tokenID(_ vocabulary: Int) -> JSON {
        .object([("type", "integer"), ("minimum", 0), ("maximum", .int(Int64(max(1, vocabulary) - 1)))])
    }

    /// The vocabulary bound of fields declared for the parser, which leaves the check of token
    /// ids to the Tokenize stage: every non-negative 32-bit id.
    public static let anyVocabulary = Int(Int32.max) + 1
}

/// A set of request fields declared as the stored properties of a struct: ``fields`` lists them
/// in declaration order, so a field declared for the parser is in the document without a second
/// list to keep. A property that is itself a group contributes its fields in place.
protocol RequestFieldGroup: Sendable {}

extension RequestFieldGroup {
    /// Every field the group declares, nested groups' fields in place.
    var fields: [RequestField] {
        Mirror(reflecting: self).children.flatMap { child -> [RequestField] in
            if let field = child.value as? RequestField { return [field] }
            if let nested = child.value as? any NestedFieldsProtocol { return [nested.field] }
            if let group = child.value as? any RequestFieldGroup { return group.fields }
            return []
        }
    }

    /// The group as a body's JSON Schema.
    func schema(closed: Bool) -> JSON {
        .object(RequestField.objectMembers(fields, closed: closed, type: "object"))
    }
}

/// A field whose value is an object with fields of its own (LightLLM's `parameters`,
/// `stream_options`): one field in its group's list, and `group` for the reader of the object.
struct NestedFields<Group: RequestFieldGroup>: NestedFieldsProtocol {
    let field: RequestField
    let group: Group

    init(_ name: String, _ group: Group, _ summary: String) {
        field = RequestField(name, .object(group.fields), summary)
        self.group = group
    }
}

/// What the group walk sees of a ``NestedFields``, whatever its group.
protocol NestedFieldsProtocol: Sendable {
    var field: RequestField { get }
}
