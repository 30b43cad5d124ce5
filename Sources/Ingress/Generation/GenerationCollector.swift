import LightServeCore

/// Gathers the tokens of a non-streaming request until every sequence finished, then picks
/// the `n` best sequences by cumulative log-probability.
struct GenerationCollector {
    struct Sequence {
        var text = ""
        var tokens: [GeneratedToken] = []
        var logprobSum: Double = 0
        var finishReason: FinishReason?
    }

    private(set) var sequences: [Sequence]
    let returnCount: Int

    init(options: GenerationOptions) {
        sequences = Array(repeating: Sequence(), count: options.bestOf)
        returnCount = options.returnCount
    }

    var isComplete: Bool { sequences.allSatisfy { $0.finishReason != nil } }

    mutating func add(_ tokens: [GeneratedToken]) {
        for token in tokens where sequences.indices.contains(token.sequence) {
            sequences[token.sequence].text += token.text
            sequences[token.sequence].tokens.append(token)
            sequences[token.sequence].logprobSum += Double(token.logprob)
            if let reason = token.finishReason { sequences[token.sequence].finishReason = reason }
        }
    }

    /// The returned sequences: all of them in order when every generated one is returned,
    /// otherwise the `returnCount` best by cumulative log-probability, best first.
    var best: [Sequence] {
        guard returnCount < sequences.count else { return sequences }
        return Array(sequences.enumerated().sorted { a, b in
            a.element.logprobSum != b.element.logprobSum ? a.element.logprobSum > b.element.logprobSum : a.offset < b.offset
        }.prefix(returnCount).map(\.element))
    }
}
