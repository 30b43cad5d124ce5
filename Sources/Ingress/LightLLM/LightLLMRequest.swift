import LightServeCore

/// A `/generate`, `/generate_stream` or `POST /` body, validated: LightLLM's fields, defaults
/// and ranges (see `lightllm-api.md`), with every violation a 400 that names the field.
public struct LightLLMRequest: Sendable {
    /// The generation, in the form both APIs share.
    var call: GenerationCall
    public var returnDetails: Bool
    /// `"stream"` of a `POST /` body, if given.
    public var stream: Bool?

    public var input: PromptInput { call.prompts[0] }
    public var options: GenerationOptions { call.options }

    /// Parses a request body. Every number is range-checked before anything computes with it;
    /// `maxNewTokensLimit` is the most tokens any request may generate on this server.
    public static func parse(_ body: JSON, defaultMaxNewTokens: Int, maxNewTokensLimit: Int) throws(APIError) -> LightLLMRequest {
        let top = try ParameterReader(body)
        let input = try PromptReader.single(body["inputs"], field: "inputs")
        try checkMultimodal(body["multimodal_params"])
        let p = try ParameterReader(body["parameters"], path: "parameters.")

        var options = GenerationOptions(sampling: try p.sampling(.lightLLM))
        options.maxNewTokens = try p.integer(
            "max_new_tokens", default: min(defaultMaxNewTokens, maxNewTokensLimit), in: 1...max(1, maxNewTokensLimit),
            "between 1 and \(maxNewTokensLimit) (the server's --max-req-total-len less one prompt token)")
        options.sampling.minNewTokens = try p.integer(
            "min_new_tokens", default: 1, in: 1...options.maxNewTokens, "between 1 and max_new_tokens (\(options.maxNewTokens))")
        options.stopSequences = try p.strings("stop_sequences", max: 10)
        options.bestOf = try p.integer("best_of", default: 1, in: 1...8)
        options.returnCount = try p.integer("n", default: options.bestOf, in: 1...options.bestOf, "between 1 and best_of (\(options.bestOf))")
        options.skipSpecialTokens = try p.bool("skip_special_tokens", default: true)
        options.addSpecialTokens = try p.bool("add_special_tokens", default: true)
        options.printEOSToken = try p.bool("print_eos_token", default: false)
        options.includeStopSequence = true
        options.constraint = try p.constraint()
        options.sampling.inputPenalty = try p.bool("input_penalty", default: false)
        options.sampling.lengthPenalty = try p.lengthPenalty("exponential_decay_length_penalty")
        options.promptLogprobs = try p.bool("return_all_prompt_logprobs", default: false) ? 0 : nil
        // Hugging Face's fast tokenizers, which LightLLM loads by default, ignore it; so does LightServe.
        _ = try p.bool("add_spaces_between_special_tokens", default: true)

        return LightLLMRequest(
            call: GenerationCall(prompts: [input], options: options), returnDetails: try p.bool("return_details", default: false),
            stream: top.has("stream") ? try top.bool("stream", default: false) : nil)
    }

    /// Streaming sends one sequence's tokens as they come; several sequences cannot stream.
    public func checkStreamable() throws(APIError) {
        guard options.bestOf == 1, options.returnCount == 1 else {
            throw APIError.invalid("parameters.best_of", "streaming needs n = best_of = 1")
        }
    }

    /// Text-only model: empty or absent multimodal parameters only.
    static func checkMultimodal(_ value: JSON?) throws(APIError) {
        guard let value, value != .null else { return }
        guard case .object(let members) = value else {
            throw APIError.invalid("multimodal_params", "must be an object, got \(value.typeName)")
        }
        for (key, item) in members {
            switch item {
            case .null: continue
            case .array(let list) where list.isEmpty: continue
            case .object(let o) where o.isEmpty: continue
            default:
                throw APIError.invalid("multimodal_params.\(key)", "this model is text-only and cannot take images or audio")
            }
        }
    }
}
