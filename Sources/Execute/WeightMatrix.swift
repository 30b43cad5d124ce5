import ExecuteKernels
import GGUF

/// A weight matrix left in its on-disk encoding inside the memory-mapped model file, or repacked
/// into the kernels' packed layout for it (``packedForProducts(of:)``): `rows` output features of
/// `columns` inputs each.
struct WeightMatrix {
    let name: String
    let base: UnsafeRawPointer
    let type: GGUFTensorType
    let rows: Int
    let columns: Int
    let rowBytes: Int
    /// The copy `base` points into when the matrix is packed; nil when it points into the file.
    let packed: PackedWeights?

    /// The kernels' type code: the file's type, or the packed layout.
    var kernelType: Int32 { packed?.type ?? Int32(type.rawValue) }

    init(_ file: GGUFFile, _ name: String, columns: Int, rows: Int) throws(ExecuteError) {
        let info: GGUFTensorInfo
        do {
            info = try file.requireTensor(name)
        } catch {
            throw .model(error)
        }
        guard info.shape == [columns, rows] || (rows == 1 && info.shape == [columns]) else {
            throw .weightShapeMismatch(tensor: name, expected: [columns, rows], found: info.shape)
        }
        self.name = name
        self.base = file.bytes(of: info).baseAddress!
        self.type = info.type
        self.rows = rows
        self.columns = columns
        self.rowBytes = info.rowByteCount
        self.packed = nil
    }

    private init(_ matrix: WeightMatrix, packed: PackedWeights) {
        name = matrix.name
        base = packed.bytes
        type = matrix.type
        rows = matrix.rows
        columns = matrix.columns
        rowBytes = matrix.rowBytes
        self.packed = packed
    }

    /// The matrix in the kernels' packed layout for its type when they have one, copied into
    /// `arena` (its file pages then given back), else itself. For matrices that are only ever
    /// multiplied: a packed one's rows are not contiguous, so it cannot be decoded row by row.
    func packedForProducts(of file: GGUFFile, into arena: HugePageArena) throws(ExecuteError) -> WeightMatrix {
        let info: GGUFTensorInfo
        do {
            info = try file.requireTensor(name)
        } catch {
            throw .model(error)
        }
        guard packed == nil,
            let packed = PackedWeights(
                source: file.bytes(of: info), fileType: Int32(type.rawValue), rows: rows, columns: columns,
                arena: arena, done: { file.releasePages(of: info, bytes: $0) })
        else { return self }
        return WeightMatrix(self, packed: packed)
    }

    /// The kernel's description of `out (+)= x · Wᵀ`.
    func operation(output: UnsafeMutablePointer<Float>, outputStride: Int, accumulate: Bool) -> ls_matmul_op {
        ls_matmul_op(
            weights: base, type: kernelType, rows: Int32(rows), cols: Int32(columns), row_bytes: rowBytes,
            out: output, ldo: Int32(outputStride), accumulate: accumulate ? 1 : 0)
    }

    /// The kernel's description of `out (+)= x · Wᵀ` for the matrix's rows `range` alone, whose
    /// outputs land at their own columns of `output`'s rows. A packed matrix's range starts at a
    /// group (``HeadVocabulary/alignment``).
    func operation(rows range: Range<Int>, output: UnsafeMutablePointer<Float>, outputStride: Int, accumulate: Bool)
        -> ls_matmul_op
    {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "\(name): rows \(range) out of 0..<\(rows)")
        precondition(packed == nil || range.lowerBound % HeadVocabulary.alignment == 0,
                     "\(name): a packed matrix's rows are taken from a group's first")
        return ls_matmul_op(
            weights: base + range.lowerBound * rowBytes, type: kernelType, rows: Int32(range.count), cols: Int32(columns),
            row_bytes: rowBytes, out: output + range.lowerBound, ldo: Int32(outputStride), accumulate: accumulate ? 1 : 0)
    }

    /// Row `row` decoded to float32 into `destination` (a matrix in the file's layout).
    func decodeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(packed == nil, "\(name) is packed for products; its rows cannot be decoded")
        ls_dequantize(Int32(type.rawValue), base + row * rowBytes, destination, Int32(columns))
    }

    /// A small vector (a norm's gains) decoded to float32.
    static func vector(_ file: GGUFFile, _ name: String, length: Int) throws(ExecuteError) -> [Float] {
        let matrix = try WeightMatrix(file, name, columns: length, rows: 1)
        return [Float](unsafeUninitializedCapacity: length) { buffer, count in
            matrix.decodeRow(0, into: buffer.baseAddress!)
            count = length
        }
    }
}
