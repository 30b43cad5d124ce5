import ExecuteKernels
import GGUF

/// A weight matrix left in its on-disk encoding inside the memory-mapped model file: `rows`
/// output features of `columns` inputs each.
struct WeightMatrix {
    let name: String
    let base: UnsafeRawPointer
    let type: GGUFTensorType
    let rows: Int
    let columns: Int
    let rowBytes: Int

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
    }

    /// The kernel's description of `out (+)= x · Wᵀ`.
    func operation(output: UnsafeMutablePointer<Float>, outputStride: Int, accumulate: Bool) -> ls_matmul_op {
        ls_matmul_op(
            weights: base, type: Int32(type.rawValue), rows: Int32(rows), cols: Int32(columns), row_bytes: rowBytes,
            out: output, ldo: Int32(outputStride), accumulate: accumulate ? 1 : 0)
    }

    /// Row `row` decoded to float32 into `destination`.
    func decodeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
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
