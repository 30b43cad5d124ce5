import GGUF

/// Reads a model's weights out of its file and remembers which tensors it took, so a file with
/// tensors the model would silently ignore (a bias, a norm or rope factors its family does not
/// know) is refused instead of computed wrongly.
struct TensorLoader {
    let file: GGUFFile
    /// Where the model's packed matrices are copied: huge pages, shared by all of them.
    let arena = HugePageArena()
    private(set) var used: Set<String> = []

    /// - Parameter alreadyRead: tensors the family read into the configuration (Llama 3's
    ///   `rope_freqs.weight`).
    init(file: GGUFFile, alreadyRead: Set<String> = []) {
        self.file = file
        self.used = alreadyRead
    }

    func has(_ name: String) -> Bool { file.tensor(named: name) != nil }

    mutating func matrix(_ name: String, columns: Int, rows: Int) throws(ExecuteError) -> WeightMatrix {
        used.insert(name)
        return try WeightMatrix(file, name, columns: columns, rows: rows)
    }

    /// A matrix only ever multiplied (a layer's projections), so held in the kernels' packed
    /// layout for its type when they have one.
    mutating func productMatrix(_ name: String, columns: Int, rows: Int) throws(ExecuteError) -> WeightMatrix {
        try matrix(name, columns: columns, rows: rows).packedForProducts(of: file, into: arena)
    }

    mutating func vector(_ name: String, length: Int) throws(ExecuteError) -> [Float] {
        used.insert(name)
        return try WeightMatrix.vector(file, name, length: length)
    }

    /// The vector if the file has it.
    mutating func optionalVector(_ name: String, length: Int) throws(ExecuteError) -> [Float]? {
        has(name) ? try vector(name, length: length) : nil
    }

    /// Tensors of the file nothing took, in file order.
    var unused: [String] { file.tensors.map(\.name).filter { !used.contains($0) } }
}
