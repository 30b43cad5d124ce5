/// The ggml element types a tensor can have, with their block geometry.
///
/// Only the types this engine can compute with are listed; any other code in a file is reported
/// as ``GGUFError/unknownTensorType(tensor:code:)`` rather than misread. The K-quants pack 256
/// values per super-block with per-sub-block scales; `Q5_0`/`Q5_1` are the 32-value blocks that
/// K-quant mixes fall back to when a row is not a multiple of 256; `IQ4_NL`/`IQ4_XS` index a fixed
/// table of sixteen non-linear levels (`IQ4_XS` mixes fall back to `IQ4_NL`).
public enum GGUFTensorType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case iq4_NL = 20
    case iq4_XS = 23
    case bf16 = 30

    /// Elements per quantization block (1 for plain floating-point types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_NL: 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_XS: 256
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0: 18  // f16 scale + 16 bytes of nibbles
        case .q4_1: 20  // f16 scale + f16 minimum + 16 bytes of nibbles
        case .q5_0: 22  // f16 scale + 4 bytes of fifth bits + 16 bytes of nibbles
        case .q5_1: 24  // f16 scale + f16 minimum + 4 bytes of fifth bits + 16 bytes of nibbles
        case .q8_0: 34  // f16 scale + 32 signed bytes
        case .q2_K: 84  // 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit values, f16 d, f16 dmin
        case .q3_K: 110  // 32 bytes of third bits, 64 bytes of 2-bit values, 12 bytes of 6-bit scales, f16 d
        case .q4_K: 144  // f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles
        case .q5_K: 176  // as Q4_K plus 32 bytes of fifth bits before the nibbles
        case .q6_K: 210  // 128 bytes of low nibbles, 64 bytes of high pairs, 16 int8 scales, f16 d
        case .iq4_NL: 18  // f16 scale + 16 bytes of level indexes
        case .iq4_XS: 136  // f16 d, 2 bytes of scales' high bits, 4 bytes of their low nibbles, 128 bytes of indexes
        }
    }

    /// Bytes needed for `elements` values, which must be a multiple of ``blockSize``.
    public func byteCount(elements: Int) -> Int {
        elements / blockSize * bytesPerBlock
    }

    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .iq4_NL: "IQ4_NL"
        case .iq4_XS: "IQ4_XS"
        case .bf16: "BF16"
        }
    }

    /// The ggml name of a type code this engine does not compute with (for error messages), or
    /// nil when the code names no ggml type at all.
    public static func unsupportedName(code: UInt32) -> String? {
        let names: [UInt32: String] = [
            16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 21: "IQ3_S", 22: "IQ2_S", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 34: "TQ1_0",
            35: "TQ2_0", 39: "MXFP4",
        ]
        return names[code]
    }
}
