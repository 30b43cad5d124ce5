/// The role of a vocabulary entry, as `tokenizer.ggml.token_type` numbers it.
public enum TokenType: Int32, Sendable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    /// Markers such as `<|im_start|>` or `<|endoftext|>`: matched in text as one token,
    /// hidden from output unless asked for.
    case control = 3
    /// Added tokens that are matched in text as one token and always shown.
    case userDefined = 4
    case unused = 5
    case byte = 6

    /// Whether occurrences of the token's text in a prompt are read as this single token.
    public var isMatchedInText: Bool {
        self == .control || self == .userDefined || self == .unknown
    }
}
