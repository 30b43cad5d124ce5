/// A llama.cpp quantization recipe: which tensor type each weight of a model gets.
///
/// K-quant mixes give most matrices one type and spend more bits where errors hurt most: the
/// output head (or the tied embedding) and, on a third of the layers (the first and last eighth
/// and every third one between), `attn_v` and `ffn_down`. A matrix whose rows are not whole
/// 256-value super-blocks falls back to the nearest 32-block type (Q4_K → Q5_0, Q5_K → Q5_1,
/// Q6_K → Q8_0), which is what small models with 576- or 640-wide rows are mostly made of.
/// Vectors (norms, biases) stay F32.
public enum QuantizationMix: String, CaseIterable, Sendable, CustomStringConvertible {
    case q4_K_M = "Q4_K_M"
    case q5_K_M = "Q5_K_M"
    case q6_K = "Q6_K"
    case q8_0 = "Q8_0"

    public var description: String { rawValue }

    /// llama.cpp's `general.file_type` code for the mix.
    public var fileType: UInt32 {
        switch self {
        case .q4_K_M: 15
        case .q5_K_M: 17
        case .q6_K: 18
        case .q8_0: 7
        }
    }

    var defaultType: GGUFTensorType {
        switch self {
        case .q4_K_M: .q4_K
        case .q5_K_M: .q5_K
        case .q6_K: .q6_K
        case .q8_0: .q8_0
        }
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers and every third one.
    static func usesMoreBits(layer i: Int, of n: Int) -> Bool {
        i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
    }

    /// The type for tensor `name` of `shape` in a model of `layers` blocks; `tiedOutput` when the
    /// token embedding doubles as the output head.
    public func type(forTensor name: String, shape: [Int], layers: Int, tiedOutput: Bool) -> GGUFTensorType {
        guard shape.count >= 2 else { return .f32 }
        var wanted = defaultType
        if self == .q4_K_M || self == .q5_K_M {
            let parts = name.split(separator: ".")
            if name == "output.weight" || (tiedOutput && name == "token_embd.weight") {
                wanted = .q6_K
            } else if parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]),
                parts[2] == "attn_v" || parts[2] == "ffn_down", Self.usesMoreBits(layer: layer, of: layers)
            {
                wanted = .q6_K
            }
        }
        guard shape[0] % wanted.blockSize != 0 else { return wanted }
        switch wanted {
        case .q4_K: return .q5_0
        case .q5_K: return .q5_1
        default: return .q8_0
        }
    }
}
