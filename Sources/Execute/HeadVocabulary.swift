/// The tokens whose logits a runner's output head computes: all of them for a model, and for a
/// draft model the N lowest token ids (`--draft-vocabulary`, 32,768 unless told) plus the
/// control tokens past them (end of turn, end of text), the others left at -inf.
///
/// A byte-pair vocabulary numbers its tokens in the order their merges were learnt, so its low ids
/// are its common tokens; a drafter restricted to them proposes what it would have proposed
/// almost always, for a fraction of its head (Qwen2.5-Coder-0.5B's 151,936-row Q8_0 head is 37%
/// of the bytes it reads per token). What it can no longer propose the model simply does not get
/// drafted: verification is unchanged, so outputs are too (the idea of FR-Spec, Zhao et al. 2025,
/// and SGLang's `--speculative-token-map`, with the merge order standing in for frequencies).
struct HeadVocabulary: Equatable, Sendable {
    /// The head's rows (the vocabulary's size).
    let size: Int
    /// The computed token ids: ascending, disjoint, each starting at a multiple of
    /// ``alignment`` so that a packed head's groups stay whole.
    let ranges: [Range<Int>]

    /// Rows a range starts at a multiple of: a packed layout's group.
    static let alignment = 16

    /// Every token of a head of `size` rows.
    static func complete(size: Int) -> HeadVocabulary {
        HeadVocabulary(size: size, ranges: [0..<size])
    }

    /// The `keeping` lowest ids of a head of `size` rows (rounded up to a whole group), and the
    /// groups holding `controlTokens` above them.
    static func pruned(keeping: Int, controlTokens: [Int], size: Int) -> HeadVocabulary {
        let a = alignment
        let low = min(size, (max(keeping, 1) + a - 1) / a * a)
        var ranges = [0..<low]
        for token in controlTokens.sorted() where token >= low && token < size {
            let group = token / a * a
            let range = group..<min(size, group + a)
            if let last = ranges.last, last.upperBound >= range.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                ranges.append(range)
            }
        }
        return HeadVocabulary(size: size, ranges: ranges)
    }

    /// Whether every token's logit is computed.
    var isComplete: Bool { ranges == [0..<size] }

    /// The token ids not computed, between and after ``ranges``.
    var gaps: [Range<Int>] {
        var gaps: [Range<Int>] = []
        var next = 0
        for range in ranges {
            if range.lowerBound > next { gaps.append(next..<range.lowerBound) }
            next = range.upperBound
        }
        if next < size { gaps.append(next..<size) }
        return gaps
    }

    /// Token ids computed.
    var count: Int { ranges.reduce(0) { $0 + $1.count } }
}
