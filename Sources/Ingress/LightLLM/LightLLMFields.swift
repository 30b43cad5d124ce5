import LightServeCore

/// The fields of a `/generate`, `/generate_stream` or `POST /` body, as ``LightLLMRequest``
/// reads them and `/openapi.json` documents them. Unknown fields are ignored, as LightLLM does.
struct LightLLMFields: RequestFieldGroup {
    /// The `parameters` object's fields.
    struct Parameters: RequestFieldGroup {
        let sampling = SamplingFields(.lightLLM)
        let maxNewTokens: RequestField
        let minNewTokens: RequestField
        let stopSequences = RequestField(
            "stop_sequences", .strings(maxItems: 10), "Stop when one of these is generated; it stays in the text.")
        let bestOf = RequestField("best_of", .integer(1...8), default: 1, "Sequences generated; the n likeliest are returned.")
        let n = RequestField("n", .integer(1...8), "Sequences returned, at most best_of (defaults to best_of).")
        let skipSpecialTokens = RequestField(
            "skip_special_tokens", .boolean, default: true, "Leave special tokens out of the text.")
        let addSpecialTokens = RequestField(
            "add_special_tokens", .boolean, default: true, "Add the tokenizer's special tokens (BOS) to a text prompt.")
        let printEOSToken = RequestField(
            "print_eos_token", .boolean, default: false, "Keep the end-of-sequence token's text in the output.")
        let constraints: ConstraintFields
        let inputPenalty = RequestField(
            "input_penalty", .boolean, default: false, "Apply the penalties to the prompt's tokens as well.")
        let lengthPenalty = RequestField(
            "exponential_decay_length_penalty",
            .shaped(.object([
                ("type", RequestField.types("array")), ("minItems", 2), ("maxItems", 2),
                ("prefixItems", .array([
                    .object([("type", "integer"), ("minimum", 0), ("maximum", .int(Int64(Int32.max)))]),
                    .object([("type", "number"), ("minimum", 1), ("maximum", .double(SamplingParameters.maxPenalty))]),
                ])),
            ])),
            "[start, factor]: from the start-th generated token on, the end-of-sequence logit grows by factor^(tokens past start).")
        let returnAllPromptLogprobs = RequestField(
            "return_all_prompt_logprobs", .boolean, default: false, "Return the log-probability of each prompt token.")
        let addSpacesBetweenSpecialTokens = RequestField(
            "add_spaces_between_special_tokens", .boolean, default: true,
            "Taken for compatibility; fast tokenizers ignore it, as LightServe does.")
        let returnDetails = RequestField(
            "return_details", .boolean, default: false, "Return each generated token with its id and log-probability.")

        /// `maxNewTokensLimit` is the most tokens a request may generate on this server;
        /// `vocabularySize` bounds the token ids the document states.
        init(defaultMaxNewTokens: Int, maxNewTokensLimit: Int, vocabularySize: Int) {
            constraints = ConstraintFields(vocabularySize: vocabularySize)
            let limit = max(1, maxNewTokensLimit)
            maxNewTokens = RequestField(
                "max_new_tokens", .integer(1...limit), default: .int(Int64(min(defaultMaxNewTokens, limit))),
                rule: "between 1 and \(maxNewTokensLimit) (the server's --max-req-total-len less one prompt token)",
                "The most tokens to generate.")
            minNewTokens = RequestField(
                "min_new_tokens", .integer(1...limit), default: 1, "Tokens generated before end-of-sequence may end the answer (at most max_new_tokens).")
        }
    }

    let inputs: RequestField
    let parameters: NestedFields<Parameters>
    let stream = RequestField("stream", .boolean, "POST / only: stream the answer as server-sent events.")
    let multimodalParams = RequestField(
        "multimodal_params",
        .shaped(.object([
            ("type", RequestField.types("object")),
            ("additionalProperties", .object([("type", .array(["array", "object", "null"])), ("maxItems", 0), ("maxProperties", 0)])),
        ])),
        "Text-only models take no images or audio: only empty lists or objects.")

    init(defaultMaxNewTokens: Int, maxNewTokensLimit: Int, vocabularySize: Int = RequestField.anyVocabulary) {
        inputs = RequestField(
            "inputs", .prompt(vocabulary: vocabularySize), required: true, "The prompt: a text or a list of token ids.")
        parameters = NestedFields(
            "parameters",
            Parameters(defaultMaxNewTokens: defaultMaxNewTokens, maxNewTokensLimit: maxNewTokensLimit, vocabularySize: vocabularySize),
            "How to generate.")
    }
}

extension LightLLMFields {
    /// `POST /tokens`: count a text's tokens.
    struct TokenCount: RequestFieldGroup {
        let text = RequestField("text", .string, required: true, "The text to count.")
        let addSpecialTokens = RequestField(
            "add_special_tokens", .boolean, default: true, "Count the tokenizer's special tokens (BOS) too.")
    }

    /// `POST /get_score`: a reward model's score of a rendered chat.
    struct Score: RequestFieldGroup {
        let chat = RequestField("chat", .string, required: true, "The rendered conversation to score.")
        let parameters = RequestField("parameters", .object([]), "Taken for LightLLM compatibility; no parameter applies.")
    }
}
