import Foundation

/// One rotary position embedding: which dims rotate together, how fast each pair turns, and how
/// positions are scaled.
///
/// Pair `i` (of `dimension / 2`) of a token at position `p` turns by
/// `p · positionScale · base^(-2i/dimension) / frequencyFactors[i]`.
public struct RotaryEmbedding: Sendable, Equatable {
    /// Which elements of a head form a rotated pair.
    public enum Layout: Sendable, Equatable {
        /// Adjacent elements `(2i, 2i+1)`: llama.cpp stores Llama q/k weights permuted for it.
        case normal
        /// Element `i` with `i + dimension/2` (GPT-NeoX; Qwen, Gemma).
        case neox
    }

    public var base: Double
    /// Leading dims of each head that rotate; the rest pass through.
    public var dimension: Int
    public var layout: Layout
    /// Linear rope scaling multiplies positions by `1 / factor`.
    public var positionScale: Double
    /// Llama 3's per-frequency divisors (`rope_freqs.weight`), if the file has them.
    public var frequencyFactors: [Float]?

    public init(
        base: Double, dimension: Int, layout: Layout = .normal, positionScale: Double = 1, frequencyFactors: [Float]? = nil
    ) {
        self.base = base
        self.dimension = dimension
        self.layout = layout
        self.positionScale = positionScale
        self.frequencyFactors = frequencyFactors
    }

    /// Cosines then sines of each pair's angle at `position`, computed in double precision as
    /// the reference does: `dimension` floats.
    func fillAngles(position: Int, into destination: UnsafeMutablePointer<Float>) {
        let half = dimension / 2
        let p = Double(position) * positionScale
        for i in 0..<half {
            var frequency = pow(base, -Double(2 * i) / Double(dimension))
            if let frequencyFactors { frequency /= Double(frequencyFactors[i]) }
            let angle = p * frequency
            destination[i] = Float(cos(angle))
            destination[half + i] = Float(sin(angle))
        }
    }
}
