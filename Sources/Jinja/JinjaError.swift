/// Why a chat template could not be parsed or rendered.
public enum JinjaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The template is not valid Jinja (at the given 1-based line).
    case syntax(String, line: Int)
    /// The template uses a construct this interpreter does not implement.
    case unsupported(String, line: Int)
    /// A value was used in a way its type does not allow.
    case type(String)
    /// The template called `raise_exception(message)`.
    case raised(String)

    public var description: String {
        switch self {
        case .syntax(let message, let line): "chat template syntax error on line \(line): \(message)"
        case .unsupported(let what, let line): "chat template uses \(what) on line \(line), which LightServe's Jinja interpreter does not support"
        case .type(let message): "chat template error: \(message)"
        case .raised(let message): message
        }
    }
}
