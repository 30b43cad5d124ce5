import LightServeCore

/// A value handed to a chat template: the JSON shapes messages and tool definitions are made of.
public enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    /// Keys in order: `tojson` writes them in this order, as Python's dicts do.
    case object([(String, TemplateValue)])

    public static func == (a: TemplateValue, b: TemplateValue) -> Bool {
        a.jinja.equals(b.jinja)
    }

    /// The same value read from request JSON, members in their written order (a tool's
    /// parameter schema renders into the prompt exactly as the client wrote it).
    public init(_ json: JSON) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(Int(i))
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(TemplateValue.init))
        case .object(let members): self = .object(members.map { ($0.0, TemplateValue($0.1)) })
        }
    }

    var jinja: JinjaValue {
        switch self {
        case .null: .none
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .list(let items): .list(items.map(\.jinja))
        case .object(let pairs): .dict(JinjaDict(pairs.map { ($0.0, $0.1.jinja) }))
        }
    }

    /// A message with a role and text content.
    public static func message(role: String, content: String) -> TemplateValue {
        .object([("role", .string(role)), ("content", .string(content))])
    }
}
