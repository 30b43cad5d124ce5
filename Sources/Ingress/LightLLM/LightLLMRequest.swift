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
        let fields = LightLLMFields(defaultMaxNewTokens: defaultMaxNewTokens, maxNewTokensLimit: maxNewTokensLimit)
        let f = fields.parameters.group
        let top = try ParameterReader(body)
        let input = try PromptReader.single(body[fields.inputs.name], field: fields.inputs.name)
        try checkMultimodal(body[fields.multimodalParams.name])
        let p = try ParameterReader(body[fields.parameters.field.name], path: fields.parameters.field.name + ".")

        var options = GenerationOptions(sampling: try p.sampling(f.sampling))
        options.maxNewTokens = try p.integer(f.maxNewTokens)
        options.sampling.minNewTokens = try p.integer(
            f.minNewTokens, in: 1...options.maxNewTokens, "between 1 and max_new_tokens (\(options.maxNewTokens))")
        options.stopSequences = try p.strings(f.stopSequences)
        options.bestOf = try p.integer(f.bestOf)
        options.returnCount = try p.integer(f.n, default: options.bestOf, in: 1...options.bestOf, "between 1 and best_of (\(options.bestOf))")
        options.skipSpecialTokens = try p.bool(f.skipSpecialTokens)
        options.addSpecialTokens = try p.bool(f.addSpecialTokens)
        options.printEOSToken = try p.bool(f.printEOSToken)
        options.includeStopSequence = true
        options.constraint = try p.constraint()
        options.sampling.inputPenalty = try p.bool(f.inputPenalty)
        options.sampling.lengthPenalty = try p.lengthPenalty(f.lengthPenalty)
        options.promptLogprobs = try p.bool(f.returnAllPromptLogprobs) ? 0 : nil
        // Hugging Face's fast tokenizers, which LightLLM loads by default, ignore it; so does LightServe.
        _ = try p.bool(f.addSpacesBetweenSpecialTokens)

        return LightLLMRequest(
            call: GenerationCall(prompts: [input], options: options), returnDetails: try p.bool(f.returnDetails),
            stream: top.has(fields.stream.name) ? try top.bool(fields.stream) : nil)
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
