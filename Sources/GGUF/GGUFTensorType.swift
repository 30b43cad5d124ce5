/// The ggml element types a tensor can have, with their block geometry and reference codecs.
///
/// Only the types this engine can compute with are listed; any other code in a file is reported
/// as ``GGUFError/unknownTensorType(tensor:code:)`` rather than misread. Each type is one file in
/// `Types/` (its code, name, geometry and codec, see `TensorTypeCodec`) and one line in
/// ``allCases``. The K-quants pack 256 values per super-block with per-sub-block scales;
/// `Q5_0`/`Q5_1` are the 32-value blocks that K-quant mixes fall back to when a row is not a
/// multiple of 256; `IQ4_NL`/`IQ4_XS` index a fixed table of sixteen non-linear levels (`IQ4_XS`
/// mixes fall back to `IQ4_NL`).
public struct GGUFTensorType: Sendable, Hashable, CaseIterable, RawRepresentable, CustomStringConvertible {
    /// Every type, in code order: the one list of them.
    public static let allCases: [GGUFTensorType] = [
        .f32, .f16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_NL, .iq4_XS, .bf16,
    ]

    let codec: any TensorTypeCodec.Type

    init(_ codec: any TensorTypeCodec.Type) {
        self.codec = codec
    }

    /// The type with ggml code `rawValue`, or nil for a code this engine does not compute with.
    public init?(rawValue: UInt32) {
        guard let type = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = type
    }

    /// ggml's code for the type.
    public var rawValue: UInt32 { codec.code }

    /// Elements per quantization block (1 for plain floating-point types).
    public var blockSize: Int { codec.blockSize }

    /// Bytes per block.
    public var bytesPerBlock: Int { codec.bytesPerBlock }

    /// Byte offsets of the f16 scales (and minimums) in a block; empty for the float types.
    public var scaleOffsets: [Int] { codec.scaleOffsets }

    /// Bytes needed for `elements` values, which must be a multiple of ``blockSize``.
    public func byteCount(elements: Int) -> Int {
        elements / blockSize * bytesPerBlock
    }

    public var description: String { codec.name }

    public static func == (a: GGUFTensorType, b: GGUFTensorType) -> Bool { a.rawValue == b.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// Encodes `values` (a multiple of ``blockSize`` long) in this type's layout, rounding as
    /// ggml's reference quantizers do.
    public func encode(_ values: [Float]) -> [UInt8] {
        precondition(values.count % blockSize == 0, "\(values.count) values are not whole \(self) blocks")
        var out: [UInt8] = []
        out.reserveCapacity(byteCount(elements: values.count))
        for start in stride(from: 0, to: values.count, by: blockSize) {
            codec.encode(block: values[start..<start + blockSize], into: &out)
        }
        return out
    }

    /// Decodes `count` values (a multiple of ``blockSize``) from `bytes`, as ggml's reference
    /// dequantizers do (bit for bit).
    public func decode(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        precondition(count % blockSize == 0, "\(count) values are not whole \(self) blocks")
        precondition(bytes.count >= byteCount(elements: count), "too few bytes for \(count) \(self) values")
        return [Float](unsafeUninitializedCapacity: count) { values, initialized in
            for block in 0..<(count / blockSize) {
                codec.decode(
                    block: UnsafeRawBufferPointer(rebasing: bytes[(block * bytesPerBlock)..<((block + 1) * bytesPerBlock)]),
                    into: UnsafeMutableBufferPointer(rebasing: values[(block * blockSize)..<((block + 1) * blockSize)]))
            }
            initialized = count
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
