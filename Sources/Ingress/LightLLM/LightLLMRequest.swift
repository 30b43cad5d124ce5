import LightServeCore

/// A `/generate`, `/generate_stream` or `POST /` body, validated: LightLLM's fields, defaults
/// and ranges (see `lightllm-api.md`), with every violation a 400 that names the field.
public struct LightLLMRequest: Sendable, Equatable {
    public var input: PromptInput
    public var options: GenerationOptions
    public var returnDetails: Bool
    /// `"stream"` of a `POST /` body, if given.
    public var stream: Bool?

    /// Parses a request body. Every number is range-checked before anything computes with it;
    /// `maxNewTokensLimit` is the most tokens any request may generate on this server.
    public static func parse(_ body: JSON, defaultMaxNewTokens: Int, maxNewTokensLimit: Int) throws(APIError) -> LightLLMRequest {
        let top = try ParameterReader(body)
        let input = try parseInputs(body["inputs"])
        try checkMultimodal(body["multimodal_params"])
        let p = try ParameterReader(body["parameters"], path: "parameters.")

        var sampling = SamplingParameters()
        sampling.doSample = try p.bool("do_sample", default: false)
        sampling.temperature = try p.float("temperature", default: 1, in: 0...SamplingParameters.maxTemperature, excludingLowerBound: true)
        sampling.topP = try p.float("top_p", default: 1, in: 0...1, excludingLowerBound: true)
        sampling.topK = try p.integer("top_k", default: -1, { $0 == -1 || $0 >= 1 }, "-1 or at least 1")
        sampling.presencePenalty = try p.float("presence_penalty", default: 0, in: 0...SamplingParameters.maxPenalty)
        sampling.frequencyPenalty = try p.float("frequency_penalty", default: 0, in: 0...SamplingParameters.maxPenalty)
        sampling.repetitionPenalty = try p.float("repetition_penalty", default: 1, in: 1...SamplingParameters.maxPenalty)
        sampling.ignoreEOS = try p.bool("ignore_eos", default: false)
        sampling.seed = try p.optionalSeed("seed")

        var options = GenerationOptions(sampling: sampling)
        options.maxNewTokens = try p.integer(
            "max_new_tokens", default: min(defaultMaxNewTokens, maxNewTokensLimit), in: 1...max(1, maxNewTokensLimit),
            "between 1 and \(maxNewTokensLimit) (the server's --max-req-total-len less one prompt token)")
        sampling.minNewTokens = try p.integer("min_new_tokens", default: 1, in: 1...options.maxNewTokens,
            "between 1 and max_new_tokens (\(options.maxNewTokens))")
        options.sampling = sampling
        options.stopSequences = try p.strings("stop_sequences", max: 10)
        options.bestOf = try p.integer("best_of", default: 1, in: 1...8)
        options.returnCount = try p.integer("n", default: options.bestOf, in: 1...options.bestOf, "between 1 and best_of (\(options.bestOf))")
        options.skipSpecialTokens = try p.bool("skip_special_tokens", default: true)
        options.addSpecialTokens = try p.bool("add_special_tokens", default: true)
        options.printEOSToken = try p.bool("print_eos_token", default: false)
        options.includeStopSequence = true

        let returnDetails = try p.bool("return_details", default: false)
        let stream = top.has("stream") ? try top.bool("stream", default: false) : nil
        return LightLLMRequest(input: input, options: options, returnDetails: returnDetails, stream: stream)
    }

    /// Streaming sends one sequence's tokens as they come; several sequences cannot stream.
    public func checkStreamable() throws(APIError) {
        guard options.bestOf == 1, options.returnCount == 1 else {
            throw APIError.invalid("parameters.best_of", "streaming needs n = best_of = 1")
        }
    }

    static func parseInputs(_ value: JSON?) throws(APIError) -> PromptInput {
        switch value {
        case .string(let text)?:
            return .text(text)
        case .array(let items)?:
            var ids: [Int32] = []
            for item in items {
                guard case .int(let i) = item, let id = Int32(exactly: i), id >= 0 else {
                    throw APIError.invalid("inputs", "a token list must hold non-negative integers, found \(item.serialized)")
                }
                ids.append(id)
            }
            return .tokens(ids)
        case nil, .null?:
            throw APIError.invalid("inputs", "is required (a string or a list of token ids)")
        case let other?:
            throw APIError.invalid("inputs", "must be a string or a list of token ids, got \(other.typeName)")
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
