/// Why a GGUF file could not be used. Every case names the offending part so a user can tell a
/// damaged download from a model this engine does not support.
public enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case unreadable(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case badMagic(found: UInt32)
    /// Only versions 2 and 3 are understood (version 1 used 32-bit counts).
    case unsupportedVersion(UInt32)
    /// The file ends before the named part is complete.
    case truncated(offset: Int, reading: String)
    /// A metadata value carries a type code outside the specification.
    case unknownValueType(key: String, code: UInt32)
    /// A tensor has a ggml type this reader does not know.
    case unknownTensorType(tensor: String, code: UInt32)
    /// A tensor's shape is malformed (no dimensions, a zero, too many, or a row that is not a
    /// whole number of quantization blocks).
    case invalidShape(tensor: String, shape: [Int], reason: String)
    /// A tensor's data would extend past the end of the file, or is misaligned.
    case tensorOutOfBounds(tensor: String, offset: Int, byteCount: Int, fileSize: Int)
    /// Two tensors have the same name.
    case duplicateTensor(String)
    /// `general.alignment` is not a positive power of two.
    case invalidAlignment(Int)
    /// A key the caller needs is absent.
    case missingKey(String)
    /// A key exists but holds a different type than the caller needs.
    case typeMismatch(key: String, expected: String, found: String)
    /// A tensor the caller needs is absent.
    case missingTensor(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read GGUF file '\(path)': \(reason)"
        case .badMagic(let found):
            return "not a GGUF file: magic is 0x\(String(found, radix: 16)), expected 0x46554747 ('GGUF')"
        case .unsupportedVersion(let v):
            return "GGUF version \(v) is not supported (versions 2 and 3 are)"
        case .truncated(let offset, let reading):
            return "GGUF file is truncated: it ends at byte \(offset) while reading \(reading)"
        case .unknownValueType(let key, let code):
            return "metadata key '\(key)' has unknown value type \(code)"
        case .unknownTensorType(let tensor, let code):
            if let name = GGUFTensorType.unsupportedName(code: code) {
                return "tensor '\(tensor)' has ggml type \(name) (\(code)), which this engine does not support; "
                    + "supported: \(GGUFTensorType.allCases.map(\.description).joined(separator: ", "))"
            }
            return "tensor '\(tensor)' has unknown or unsupported ggml type \(code)"
        case .invalidShape(let tensor, let shape, let reason):
            return "tensor '\(tensor)' has invalid shape \(shape): \(reason)"
        case .tensorOutOfBounds(let tensor, let offset, let count, let size):
            return "tensor '\(tensor)' spans bytes \(offset)..<\(offset + count), past the end of the \(size)-byte file or misaligned"
        case .duplicateTensor(let name):
            return "tensor '\(name)' appears twice"
        case .invalidAlignment(let a):
            return "general.alignment must be a positive power of two, found \(a)"
        case .missingKey(let key):
            return "required metadata key '\(key)' is missing"
        case .typeMismatch(let key, let expected, let found):
            return "metadata key '\(key)' holds \(found), expected \(expected)"
        case .missingTensor(let name):
            return "required tensor '\(name)' is missing"
        }
    }
}
