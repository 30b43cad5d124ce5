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
