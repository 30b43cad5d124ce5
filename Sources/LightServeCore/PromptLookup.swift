/// Prompt lookup decoding's drafter (n-gram speculation, no second model): the tokens that
/// followed the longest earlier match of the sequence's last tokens, in its prompt and output so
/// far. Output that repeats its input (an edited function, a quoted passage, a list in a fixed
/// pattern) is proposed many tokens at a time; elsewhere there is seldom a match to propose.
public struct PromptLookup: Sendable, Equatable {
    /// The fewest trailing tokens a match must repeat before its continuation is proposed: one
    /// token alone matches too often to predict anything.
    public var minimumMatch: Int
    /// Matches longer than this count as this long (the search stops extending them), so a
    /// long repetition costs no more than a short one.
    public var maximumMatch: Int

    public init(minimumMatch: Int = 2, maximumMatch: Int = 16) {
        precondition(minimumMatch >= 1 && maximumMatch >= minimumMatch, "match lengths out of order")
        self.minimumMatch = minimumMatch
        self.maximumMatch = maximumMatch
    }

    /// Up to `count` tokens to follow `tokens`: the continuation of the earlier occurrence whose
    /// match with the end of `tokens` is longest (the latest of equally long ones), or nothing when
    /// no occurrence matches `minimumMatch` tokens. A continuation stops at the end of `tokens`.
    public func propose(after tokens: [Int32], count: Int) -> [Int32] {
        let n = tokens.count
        guard count > 0, n > minimumMatch else { return [] }
        return tokens.withUnsafeBufferPointer { t -> [Int32] in
            let last = t[n - 1]
            var best = 0
            var bestEnd = -1
            // Candidates end at `end` (the occurrence's last token); scanning from the latest, a
            // later occurrence keeps its place against an earlier one of equal length.
            var end = n - 2
            while end >= 0 {
                if t[end] == last {
                    var length = 1
                    while length < maximumMatch && end - length >= 0 && t[end - length] == t[n - 1 - length] { length += 1 }
                    if length > best {
                        best = length
                        bestEnd = end
                        if length == maximumMatch { break }
                    }
                }
                end -= 1
            }
            guard best >= minimumMatch else { return [] }
            let start = bestEnd + 1
            return Array(t[start..<min(n, start + count)])
        }
    }
}
