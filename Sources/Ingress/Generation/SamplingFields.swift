import LightServeCore

/// The sampling fields both APIs take, with `dialect`'s names and ranges: LightLLM's
/// `parameters` object and OpenAI's bodies declare them by holding this group.
struct SamplingFields: RequestFieldGroup {
    let dialect: SamplingDialect
    /// LightLLM only: greedy unless true.
    let doSample: RequestField?
    let temperature: RequestField
    let topP = RequestField(
        "top_p", .number(0...1, exclusiveMinimum: true), default: 1, "Nucleus sampling: keep the smallest set of tokens whose probabilities reach this.")
    let topK = RequestField(
        "top_k", .integer(1...Int.max, orMinusOne: true), default: -1, rule: "-1 or at least 1", "Keep the k likeliest tokens; -1 keeps all.")
    let presencePenalty: RequestField
    let frequencyPenalty: RequestField
    let repetitionPenalty = RequestField(
        "repetition_penalty", .number(1...SamplingParameters.maxPenalty), default: 1,
        "Divides the logits of tokens already generated (1: off).")
    let ignoreEOS = RequestField("ignore_eos", .boolean, default: false, "Generate to the token limit, past the end-of-sequence token.")
    let seed = RequestField(
        "seed", .integer(0...Int.max), "Seeds the sampler: the same seed and request give the same tokens.")

    init(_ dialect: SamplingDialect) {
        self.dialect = dialect
        let penalty = dialect.penaltyRange
        switch dialect {
        case .lightLLM:
            doSample = RequestField("do_sample", .boolean, default: false, "Sample; greedy decoding when false.")
            temperature = RequestField(
                "temperature", .number(0...SamplingParameters.maxTemperature, exclusiveMinimum: true), default: 1,
                "Divides the logits before sampling.")
        case .openAI:
            doSample = nil
            temperature = RequestField("temperature", .number(0...2), default: 1, "Divides the logits before sampling; 0 decodes greedily.")
        }
        presencePenalty = RequestField(
            "presence_penalty", .number(penalty), default: 0, "Subtracted from the logits of tokens already generated.")
        frequencyPenalty = RequestField(
            "frequency_penalty", .number(penalty), default: 0, "Subtracted from a token's logit once per time it was generated.")
    }
}

extension ParameterReader {
    /// The sampling fields both APIs share, read through `fields`. Greediness is decided here,
    /// once: the engine reads ``SamplingParameters/doSample`` and nothing else.
    func sampling(_ fields: SamplingFields) throws(APIError) -> SamplingParameters {
        var sampling = SamplingParameters()
        if let doSample = fields.doSample {
            sampling.doSample = try bool(doSample)
            sampling.temperature = try float(fields.temperature)
        } else {
            let temperature = try float(fields.temperature)
            sampling.doSample = temperature > 0
            sampling.temperature = temperature > 0 ? temperature : 1
        }
        sampling.topP = try float(fields.topP)
        sampling.topK = try integer(fields.topK)
        sampling.presencePenalty = try float(fields.presencePenalty)
        sampling.frequencyPenalty = try float(fields.frequencyPenalty)
        sampling.repetitionPenalty = try float(fields.repetitionPenalty)
        sampling.ignoreEOS = try bool(fields.ignoreEOS)
        sampling.seed = try optionalSeed(fields.seed)
        return sampling
    }
}
