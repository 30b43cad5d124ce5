import LightServeCore

/// The bodies of the client-side helpers (``UtilityRoutes``), as the handlers read them and
/// `/openapi.json` documents them.
enum UtilityFields {
    /// `POST /tokenize`: `text` (or llama.cpp's `content`).
    struct Tokenize: RequestFieldGroup {
        let text = RequestField("text", .string, "The text to tokenize.")
        let content = RequestField("content", .string, "llama.cpp's name for text, read when text is absent.")
        let addSpecialTokens = RequestField(
            "add_special_tokens", .boolean, default: false, "Add the tokenizer's special tokens (BOS).")
    }

    /// `POST /detokenize`: `ids` (or llama.cpp's `tokens`).
    struct Detokenize: RequestFieldGroup {
        let ids: RequestField
        let tokens: RequestField
        let skipSpecialTokens = RequestField(
            "skip_special_tokens", .boolean, default: false, "Leave special tokens out of the text.")

        /// `vocabularySize` bounds the token ids the document states (the Detokenize stage
        /// checks them).
        init(vocabularySize: Int = RequestField.anyVocabulary) {
            let list: JSON = .object([("type", RequestField.types("array")), ("items", RequestField.tokenID(vocabularySize))])
            ids = RequestField("ids", .shaped(list), "The token ids to decode.")
            tokens = RequestField("tokens", .shaped(list), "llama.cpp's name for ids, read when ids is absent.")
        }
    }

    /// `POST /apply_chat_template`: render a conversation with the model's chat template.
    struct ChatTemplate: RequestFieldGroup {
        let messages = RequestField("messages", .shaped(OpenAIFields.messagesSchema), required: true, "The conversation.")
        let tools = RequestField("tools", .shaped(OpenAIFields.toolsSchema), "Functions the template shows the model.")
        let addGenerationPrompt = RequestField(
            "add_generation_prompt", .boolean, default: true, "End with the assistant's turn opened.")
        let bosToken = RequestField("bos_token", .string, "The template's bos_token (default: the tokenizer's).")
        let eosToken = RequestField("eos_token", .string, "The template's eos_token (default: the tokenizer's).")
    }
}
