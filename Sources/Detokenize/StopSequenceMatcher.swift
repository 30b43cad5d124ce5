/// Finds stop sequences in a sequence's text as it streams, including ones split across tokens.
///
/// With `includeStop` (LightLLM) text is released as it comes and the match is kept in the
/// output. Without it (OpenAI) text that could still turn out to begin a stop sequence is held
/// back, so nothing of a stop sequence ever reaches the client.
public struct StopSequenceMatcher: Sendable {
    public let stops: [String]
    public let includeStop: Bool
    /// Released text recent enough that a stop sequence may have started in it.
    private var window = ""
    /// Text not yet released (only without `includeStop`).
    private var held = ""
    private let longest: Int

    public init(stops: [String], includeStop: Bool) {
        self.stops = stops.filter { !$0.isEmpty }
        self.includeStop = includeStop
        self.longest = self.stops.map(\.count).max() ?? 0
    }

    /// Takes the next piece of text; returns what may be released now and whether a stop
    /// sequence completed (after which nothing more should be fed).
    public mutating func feed(_ piece: String) -> (text: String, matched: Bool) {
        guard longest > 0 else { return (piece, false) }
        let text = held + piece
        held = ""
        let combined = window + text
        let textStart = combined.index(combined.startIndex, offsetBy: window.count)
        var earliest: Range<String.Index>?
        for stop in stops {
            // Search from where a match could still end inside the new text.
            var from = combined.startIndex
            while let range = combined[from...].firstRange(of: stop) {
                if range.upperBound > textStart {
                    if earliest == nil || range.lowerBound < earliest!.lowerBound { earliest = range }
                    break
                }
                from = combined.index(after: range.lowerBound)
            }
        }
        if let match = earliest {
            let end = includeStop ? match.upperBound : max(match.lowerBound, textStart)
            return (String(combined[textStart..<end]), true)
        }
        var release = text
        if !includeStop {
            let keep = Self.longestSuffixStartingAStop(text, stops: stops)
            release = String(text.dropLast(keep))
            held = String(text.suffix(keep))
        }
        window = String((window + release).suffix(longest - 1))
        return (release, false)
    }

    /// Releases whatever is still held back (the sequence ended without a match).
    public mutating func flush() -> String {
        defer { held = "" }
        return held
    }

    /// Length of the longest suffix of `text` that is a proper prefix of some stop sequence.
    static func longestSuffixStartingAStop(_ text: String, stops: [String]) -> Int {
        var best = 0
        for stop in stops {
            var length = min(stop.count - 1, text.count)
            while length > best {
                if stop.hasPrefix(text.suffix(length)) {
                    best = length
                    break
                }
                length -= 1
            }
        }
        return best
    }
}
