import LightServeCore

/// The fields of a `/v1/completions` or `/v1/chat/completions` body, as ``OpenAIRequest`` reads
/// them and `/openapi.json` documents them. A body with any other field is refused, so a field
/// the parser takes must be declared here, and then it is documented.
struct OpenAIFields: RequestFieldGroup {
    /// The fields both endpoints take.
    struct Shared: RequestFieldGroup {
        let model = RequestField("model", .string, "The served model's name; any name is served by the one model.")
        let maxTokens: RequestField
        let maxCompletionTokens: RequestField
        let sampling = SamplingFields(.openAI)
        let n = RequestField("n", .integer(1...8), default: 1, "Choices returned.")
        let stream = RequestField("stream", .boolean, default: false, "Stream the answer as server-sent events, ending with data: [DONE].")
        let streamOptions = NestedFields("stream_options", StreamOptions(), "Streaming options.")
        let stop = RequestField("stop", .strings(maxItems: 4), "Stop before one of these would be generated.")
        let user = RequestField("user", .string, "An end-user id; taken and not used.")
        let minTokens: RequestField
        let logitBias = RequestField(
            "logit_bias", .shaped(.object([("type", RequestField.types("object")), ("maxProperties", 0)])),
            "Not supported: only an empty object is taken.")
        let store = RequestField("store", .boolean, "Taken and not used: nothing is stored.")
        let metadata = RequestField("metadata", .object([]), "Taken and not used.")
        let serviceTier = RequestField("service_tier", .string, "Taken and not used.")
        let responseFormat = RequestField(
            "response_format", .shaped(OpenAIFields.responseFormatSchema),
            "Constrain the answer: text (no constraint), json_object, or json_schema with a schema.")
        let constraints: ConstraintFields
        /// Fields sglang-router 0.3.2 adds to every body it proxies (SGLang's own extensions).
        let noStopTrim = RequestField("no_stop_trim", .boolean, default: false, "Keep the stop sequence at the end of the text.")
        let skipSpecialTokens = RequestField("skip_special_tokens", .boolean, default: true, "Leave special tokens out of the text.")
        let returnHiddenStates = RequestField(
            "return_hidden_states", .shaped(.object([("type", RequestField.types("boolean")), ("const", false)])),
            "Not supported: only false is taken.")
        let separateReasoning = RequestField(
            "separate_reasoning", .boolean, default: true,
            "A reasoning model's thinking as reasoning_content, apart from the answer; false leaves it in content.")
        let streamReasoning = RequestField(
            "stream_reasoning", .boolean, default: true, "Stream the thinking as it comes; false is refused when streaming it.")
        let continueFinalMessage = RequestField(
            "continue_final_message", .shaped(.object([("type", RequestField.types("boolean")), ("const", false)])),
            "Not supported: only false is taken.")

        init(maxTokensLimit: Int, vocabularySize: Int) {
            constraints = ConstraintFields(vocabularySize: vocabularySize)
            let limit = max(1, maxTokensLimit)
            let rule = "between 1 and \(limit) (the server's --max-req-total-len less one prompt token)"
            maxTokens = RequestField("max_tokens", .integer(1...limit), rule: rule, "The most tokens to generate.")
            maxCompletionTokens = RequestField(
                "max_completion_tokens", .integer(1...limit), rule: rule, "The most tokens to generate; takes precedence over max_tokens.")
            minTokens = RequestField(
                "min_tokens", .integer(0...limit), default: 0, "Tokens generated before end-of-sequence may end the answer (at most the token limit).")
        }
    }

    /// `stream_options`.
    struct StreamOptions: RequestFieldGroup {
        let includeUsage = RequestField(
            "include_usage", .boolean, default: false, "End the stream with a chunk holding the usage (stream: true only).")
    }

    /// `/v1/completions`' own fields.
    struct Completions: RequestFieldGroup {
        let prompt: RequestField
        let echo = RequestField("echo", .boolean, default: false, "Prepend the prompt to each choice's text.")
        let bestOf = RequestField("best_of", .integer(1...8), "Sequences generated, at least n (defaults to n); the n likeliest are returned.")
        let logprobs = RequestField("logprobs", .integer(0...5), "Return the log-probabilities of this many likeliest tokens at each position.")
        let suffix = RequestField("suffix", .unsupported, "Not supported.")

        init(vocabularySize: Int) {
            prompt = RequestField(
                "prompt", .promptBatch(vocabulary: vocabularySize), required: true,
                "A text, a list of texts, a token list or a list of token lists.")
        }
    }

    /// `/v1/chat/completions`' own fields.
    struct Chat: RequestFieldGroup {
        let messages = RequestField(
            "messages", .shaped(OpenAIFields.messagesSchema), required: true, "The conversation, rendered by the model's chat template.")
        let logprobs = RequestField("logprobs", .boolean, default: false, "Return the log-probability of each token.")
        let topLogprobs = RequestField(
            "top_logprobs", .integer(0...20), default: 0, "With logprobs: the likeliest alternatives at each position.")
        let tools = RequestField("tools", .shaped(OpenAIFields.toolsSchema), "Functions the model may call.")
        let toolChoice = RequestField(
            "tool_choice", .shaped(OpenAIFields.toolChoiceSchema), "none, auto, required, or the one function to call.")
        let parallelToolCalls = RequestField(
            "parallel_tool_calls", .boolean, default: true, "Allow more than one call in an answer.")
        let functions = RequestField("functions", .unsupported, "Not supported (the deprecated form of tools).")
        let functionCall = RequestField("function_call", .unsupported, "Not supported (the deprecated form of tool_choice).")
        let audio = RequestField("audio", .unsupported, "Not supported: the model is text-only.")
        let modalities = RequestField(
            "modalities",
            .shaped(.object([
                ("type", RequestField.types("array")), ("minItems", 1), ("maxItems", 1), ("items", .object([("const", "text")])),
            ])),
            "Only [\"text\"] is supported.")
        let prediction = RequestField("prediction", .unsupported, "Not supported.")
        let reasoningEffort = RequestField("reasoning_effort", .string, "Taken and not used.")
        let webSearchOptions = RequestField("web_search_options", .unsupported, "Not supported.")
        let chatTemplateKwargs = RequestField(
            "chat_template_kwargs", .object([]), "Extra variables for the chat template (enable_thinking, ...).")
    }

    let shared: Shared
    let completions: Completions?
    let chat: Chat?

    /// `vocabularySize` bounds the token ids the document states (the Tokenize stage checks them).
    init(_ endpoint: OpenAIRequest.Endpoint, maxTokensLimit: Int, vocabularySize: Int = RequestField.anyVocabulary) {
        shared = Shared(maxTokensLimit: maxTokensLimit, vocabularySize: vocabularySize)
        completions = endpoint == .completions ? Completions(vocabularySize: vocabularySize) : nil
        chat = endpoint == .chat ? Chat() : nil
    }

    /// A message: a role and text content (a string, or text parts), and what the template reads.
    static let messagesSchema: JSON = .object([
        ("type", "array"), ("minItems", 1),
        ("items", .object([
            ("type", "object"), ("required", .array(["role"])),
            ("properties", .object([
                ("role", .object([("type", "string")])),
                ("content", .object([
                    ("type", .array(["string", "array", "null"])),
                    ("items", .object([
                        ("type", "object"), ("required", .array(["type", "text"])),
                        ("properties", .object([("type", .object([("const", "text")])), ("text", .object([("type", "string")]))])),
                    ])),
                ])),
                ("tool_calls", .object([("type", "array"), ("items", toolCallSchema)])),
            ])),
        ])),
    ])

    /// An assistant message's earlier tool call; `arguments` is JSON text.
    static let toolCallSchema: JSON = .object([
        ("type", "object"), ("required", .array(["function"])),
        ("properties", .object([
            ("function", .object([
                ("type", "object"),
                ("properties", .object([
                    ("name", .object([("type", "string")])),
                    ("arguments", .object([("type", .array(["string", "object"])), ("contentMediaType", "application/json")])),
                ])),
            ])),
        ])),
    ])

    /// OpenAI's function names: 1 to 64 letters, digits, `_` or `-`.
    static let functionName: JSON = .object([("type", "string"), ("pattern", "^[A-Za-z0-9_-]{1,64}$")])

    static let toolsSchema: JSON = .object([
        ("type", RequestField.types("array")),
        ("items", .object([
            ("type", "object"), ("required", .array(["type", "function"])),
            ("properties", .object([
                ("type", .object([("const", "function")])),
                ("function", .object([
                    ("type", "object"), ("required", .array(["name"])),
                    ("properties", .object([
                        ("name", functionName), ("description", .object([("type", "string")])),
                        ("parameters", .object([("type", .array(["object", "null"]))])),
                    ])),
                ])),
            ])),
        ])),
    ])

    static let toolChoiceSchema: JSON = .object([
        ("type", RequestField.types("string", "object")),
        ("anyOf", .array([
            .object([("enum", .array(["none", "auto", "required"]))]),
            .object([
                ("type", "object"), ("required", .array(["type", "function"])),
                ("properties", .object([
                    ("type", .object([("const", "function")])),
                    ("function", .object([("type", "object"), ("required", .array(["name"])), ("properties", .object([("name", functionName)]))])),
                ])),
            ]),
            .object([("type", "null")]),
        ])),
    ])

    static let responseFormatSchema: JSON = .object([
        ("type", RequestField.types("object")),
        ("anyOf", .array([
            .object([("type", "null")]),
            .object([("type", "object"), ("required", .array(["type"])), ("properties", .object([("type", .object([("enum", .array(["text", "json_object"]))]))]))]),
            .object([
                ("type", "object"), ("required", .array(["type", "json_schema"])),
                ("properties", .object([
                    ("type", .object([("const", "json_schema")])),
                    ("json_schema", .object([
                        ("type", "object"), ("required", .array(["name"])),
                        ("properties", .object([
                            ("name", functionName), ("schema", .object([("type", .array(["object", "boolean", "string"]))])),
                            ("strict", .object([("type", .array(["boolean", "null"]))])), ("description", .object([("type", "string")])),
                        ])),
                    ])),
                ])),
            ]),
            .object([
                ("type", "object"), ("required", .array(["type", "schema"])),
                ("properties", .object([
                    ("type", .object([("const", "json_schema")])), ("schema", .object([("type", .array(["object", "boolean", "string"]))])),
                ])),
            ]),
        ])),
    ])
}
