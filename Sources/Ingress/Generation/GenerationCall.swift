import LightServeCore

/// A generation as both APIs ask for it, once an adapter has read its own request shape: the
/// prompts, the options every stage reads, and how each choice's text is read back. Everything
/// after this point — submitting, collecting, streaming — is the same code for both APIs.
struct GenerationCall: Sendable {
    /// One prompt per entry; each runs `options.bestOf` sequences and returns `options.returnCount`.
    var prompts: [PromptInput]
    var options: GenerationOptions
    /// How each choice's text is split into content, reasoning and tool calls.
    var output: OutputParsing = .plain
}
