import LightServeCore

/// LightLLM's router estimate of the most KV slots a set of sequences will hold at once if each
/// runs to its token limit.
///
/// Sorted by tokens still to generate, longest first, sequence `i` finishes while the `i + 1`
/// sequences before it (inclusive) still run, each grown by `remaining[i]`; the ones after it
/// have finished and freed their slots. The peak is the largest such moment:
/// `max_i (remaining[i] · (i + 1) + Σ_{j ≤ i} held[j])`.
public enum PeakPrediction {
    public static func peak(_ sequences: [(held: Int, remaining: Int)]) -> Int {
        let sorted = sequences.sorted { $0.remaining > $1.remaining }
        var cumulativeHeld = 0
        var peak = 0
        for (i, s) in sorted.enumerated() {
            cumulativeHeld = cumulativeHeld.addingSaturated(s.held)
            peak = max(peak, s.remaining.multipliedSaturated(by: i + 1).addingSaturated(cumulativeHeld))
        }
        return peak
    }
}
