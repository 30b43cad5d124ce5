import LightServeCore

/// A finished generation: every returned choice, read back, and the token counts.
struct GenerationResult {
    struct Choice {
        /// OpenAI's choice index: the prompt's position times `n`, plus the choice's rank.
        var index: Int
        /// Which prompt it continues.
        var prompt: Int
        /// The generated text as it came out of the detokenizer.
        var text: String
        /// The text read back as the request's ``OutputParsing`` says.
        var reading: OutputReader.Reading
        var tokens: [GeneratedToken]
        var finishReason: FinishReason
    }

    var choices: [Choice]
    /// Each prompt's token count.
    var promptTokens: [Int]
    /// Each prompt's tokens with their log-probabilities, when the call asked for them.
    var scoredPrompts: [[PromptToken]]
    /// Tokens generated over every sequence, the ones `best_of` did not return included.
    var completionTokens: Int
}

/// One token of a streamed generation as the client will see it.
struct GenerationDelta {
    /// The choice it belongs to (see ``GenerationResult/Choice/index``).
    var choice: Int
    var token: GeneratedToken
    /// The token's text read back (text can be held back until the reader knows what it is).
    var reading: OutputReader.Reading
    /// Set on the choice's last token.
    var finishReason: FinishReason?
}

/// What a streamed generation reports, in order.
enum GenerationEvent {
    case token(GenerationDelta)
    /// The engine failed after the stream started; nothing follows.
    case failed(String)
}
