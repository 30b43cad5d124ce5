/// The ggml element types a tensor can have, with their block geometry.
///
/// Only the types this engine can compute with are listed; any other code in a file is reported
/// as ``GGUFError/unknownTensorType(tensor:code:)`` rather than misread.
public enum GGUFTensorType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case bf16 = 30

    /// Elements per quantization block (1 for plain floating-point types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q4_0, .q4_1, .q8_0: 32
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0: 18  // f16 scale + 16 bytes of nibbles
        case .q4_1: 20  // f16 scale + f16 minimum + 16 bytes of nibbles
        case .q8_0: 34  // f16 scale + 32 signed bytes
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
        case .q8_0: "Q8_0"
        case .bf16: "BF16"
        }
    }
}
