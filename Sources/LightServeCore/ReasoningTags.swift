/// The tags a reasoning model writes its thinking between (`<think>…</think>` for DeepSeek-R1
/// distills, QwQ and Qwen3), known from its chat template and carried from the Tokenize stage,
/// which sees the rendered prompt, to Ingress, which splits the output.
public struct ReasoningTags: Sendable, Equatable {
    public let open: String
    public let close: String

    public init(open: String, close: String) {
        self.open = open
        self.close = close
    }

    /// `<think>` and `</think>`.
    public static let think = ReasoningTags(open: "<think>", close: "</think>")

    /// The tags a chat template's model reasons in, if it writes any (a template that closes a
    /// reasoning block somewhere, e.g. to drop old thinking from the history or to turn thinking
    /// off, is one whose model thinks).
    public static func used(by template: String) -> ReasoningTags? {
        template.contains(think.close) ? think : nil
    }

    /// Whether `prompt` ends inside an open reasoning block (its last non-space text is `open`),
    /// so the model's output starts with reasoning.
    public func promptOpens(_ prompt: String) -> Bool {
        var scalars = Array(prompt.unicodeScalars)[...]
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return scalars.reversed().starts(with: open.unicodeScalars.reversed())
    }
}
