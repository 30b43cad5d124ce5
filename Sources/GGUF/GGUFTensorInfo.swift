/// Where one tensor lives in a GGUF file and what it holds.
///
/// `shape` is in GGUF order: the fastest-moving axis first, so a weight matrix that maps
/// `n_embd` inputs to `n_out` outputs has shape `[n_embd, n_out]` and `n_out` rows of `n_embd`.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let type: GGUFTensorType
    public let shape: [Int]
    /// Absolute byte offset of the tensor's data in the file.
    public let fileOffset: Int
    public let byteCount: Int

    public init(name: String, type: GGUFTensorType, shape: [Int], fileOffset: Int, byteCount: Int) {
        self.name = name
        self.type = type
        self.shape = shape
        self.fileOffset = fileOffset
        self.byteCount = byteCount
    }

    public var elementCount: Int { shape.reduce(1, *) }
    /// Length of one row (the first axis).
    public var rowLength: Int { shape.first ?? 0 }
    /// Number of rows: the product of every axis but the first.
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes per row, a whole number of blocks by construction.
    public var rowByteCount: Int { type.byteCount(elements: rowLength) }
}
