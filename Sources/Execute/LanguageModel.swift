import GGUF

/// A decoder-only language model of any family in ``ModelFamilies``: configuration plus weights,
/// which stay quantized inside the memory-mapped file. Immutable; every computation on it goes
/// through a ``ModelRunner``.
public final class LanguageModel: @unchecked Sendable {
    // Immutable after init; the weight views point into `file`'s read-only mapping, which this
    // object keeps alive.

    public let file: GGUFFile
    public let configuration: ModelConfiguration
    let embedding: WeightMatrix
    let layers: [TransformerLayer]
    let outputNorm: [Float]
    let output: WeightMatrix
    /// InternLM2-style reward head: one row of `embeddingLength` applied to the final normed state.
    let rewardHead: WeightMatrix?

    /// Whether the model can score (`/get_score`).
    public var hasRewardHead: Bool { rewardHead != nil }

    /// Bytes of the copies held in the kernels' packed layouts (in a ``HugePageArena``).
    public let packedWeightBytes: Int

    /// Loads the model at `path`, refusing a file with keys or tensors its family does not
    /// read (``MetadataKeyRules``).
    public convenience init(path: String) throws(ExecuteError) {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw .model(error)
        }
        try self.init(file: file)
    }

    public init(file: GGUFFile) throws(ExecuteError) {
        let (c, parameters) = try ModelFamilies.read(file)
        let unreadKeys = MetadataKeyRules.unreadKeys(of: file, architecture: c.architecture, read: parameters.readKeys)
        guard unreadKeys.isEmpty else { throw .unreadMetadata(architecture: c.architecture, keys: unreadKeys) }
        self.file = file
        self.configuration = c
        let d = c.embeddingLength
        var loader = TensorLoader(file: file, alreadyRead: parameters.readTensors)
        embedding = try loader.matrix("token_embd.weight", columns: d, rows: c.vocabularySize)
        var layers: [TransformerLayer] = []
        for i in 0..<c.layerCount { layers.append(try TransformerLayer(index: i, configuration: c, loader: &loader)) }
        self.layers = layers
        outputNorm = try loader.vector("output_norm.weight", length: d)
        // The head is only ever multiplied, so it is packed for the kernels; a head tied to the
        // embeddings gets a packed copy, the lookups keeping the file's rows.
        output = loader.has("output.weight")
            ? try loader.productMatrix("output.weight", columns: d, rows: c.vocabularySize)
            : try embedding.packedForProducts(of: file, into: loader.arena)
        rewardHead = loader.has("cls.output.weight") ? try loader.matrix("cls.output.weight", columns: d, rows: 1) : nil
        packedWeightBytes = loader.arena.allocatedBytes
        let unused = loader.unused
        guard unused.isEmpty else { throw .unusedTensors(architecture: c.architecture, names: unused) }
    }

    /// Bytes of weights one decode step reads: every layer's matrices and the output head (the
    /// token embeddings when the head is tied to them). Decode is bound by reading them.
    public var decodeWeightBytes: Int {
        let layers = file.tensors.filter { $0.name.hasPrefix("blk.") }.reduce(0) { $0 + $1.byteCount }
        let head = file.tensor(named: "output.weight") ?? file.tensor(named: "token_embd.weight")
        return layers + (head?.byteCount ?? 0)
    }

    /// A short description for logs: architecture, size and weight encoding, e.g.
    /// `gemma3, 18 layers, d=640, Q4_K_M`.
    public var summary: String {
        let c = configuration
        return "\(c.architecture), \(c.layerCount) layers, d=\(c.embeddingLength), \(quantization)"
    }

    /// The file's quantization as llama.cpp names it (`general.file_type`: `Q4_K_M`), or else
    /// the tensor type holding the most weight elements.
    public var quantization: String {
        if let code = try? file.int("general.file_type"), let name = Self.fileTypeNames[code] { return name }
        var elements: [GGUFTensorType: Int] = [:]
        for tensor in file.tensors where tensor.shape.count >= 2 { elements[tensor.type, default: 0] += tensor.elementCount }
        return elements.max { $0.value != $1.value ? $0.value < $1.value : $0.key.rawValue > $1.key.rawValue }.map { "\($0.key)" } ?? "unknown"
    }

    /// llama.cpp's `llama_ftype` codes.
    private static let fileTypeNames: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
        12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16",
    ]
}
