import LightServeCore

/// Where LightLLM's and OpenAI's sampling fields differ: how greedy decoding is asked for, and
/// the ranges of temperature and the presence/frequency penalties. Everything else about the
/// shared fields is read the same way, by ``ParameterReader/sampling(_:)``.
enum SamplingDialect {
    /// `do_sample` chooses greedy or sampled; temperature must be positive; penalties 0...100.
    case lightLLM
    /// Temperature 0 is greedy, up to 2; penalties -2...2.
    case openAI

    var penaltyRange: ClosedRange<Double> {
        switch self {
        case .lightLLM: 0...SamplingParameters.maxPenalty
        case .openAI: -2...2
        }
    }
}

extension ParameterReader {
    /// The sampling fields both APIs share, with `dialect`'s names and ranges. Greediness is
    /// decided here, once: the engine reads ``SamplingParameters/doSample`` and nothing else.
    func sampling(_ dialect: SamplingDialect) throws(APIError) -> SamplingParameters {
        var sampling = SamplingParameters()
        switch dialect {
        case .lightLLM:
            sampling.doSample = try bool("do_sample", default: false)
            sampling.temperature = try float(
                "temperature", default: 1, in: 0...SamplingParameters.maxTemperature, excludingLowerBound: true)
        case .openAI:
            let temperature = try float("temperature", default: 1, in: 0...2)
            sampling.doSample = temperature > 0
            sampling.temperature = temperature > 0 ? temperature : 1
        }
        sampling.topP = try float("top_p", default: 1, in: 0...1, excludingLowerBound: true)
        sampling.topK = try integer("top_k", default: -1, { $0 == -1 || $0 >= 1 }, "-1 or at least 1")
        sampling.presencePenalty = try float("presence_penalty", default: 0, in: dialect.penaltyRange)
        sampling.frequencyPenalty = try float("frequency_penalty", default: 0, in: dialect.penaltyRange)
        sampling.repetitionPenalty = try float("repetition_penalty", default: 1, in: 1...SamplingParameters.maxPenalty)
        sampling.ignoreEOS = try bool("ignore_eos", default: false)
        sampling.seed = try optionalSeed("seed")
        return sampling
    }
}
