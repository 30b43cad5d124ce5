import ExecuteKernels

/// A weight matrix repacked into one of the kernels' packed layouts (`ls_pack`): rows interleaved
/// in groups of 16, which the few-rows kernels read at several times the speed of the file's
/// row-major blocks. Owns the copy; immutable once made.
final class PackedWeights: @unchecked Sendable {
    // Written once in init, read-only afterwards, so sharing it across threads is safe.
    let bytes: UnsafeRawPointer
    /// The layout's kernel type code (`LS_TYPE_*_X16`).
    let type: Int32

    /// Packs `rows` × `columns` weights of file type `fileType` at `source`, or nil when the
    /// kernels have no packed layout for them.
    init?(source: UnsafeRawBufferPointer, fileType: Int32, rows: Int, columns: Int) {
        guard rows <= Int(Int32.max), columns <= Int(Int32.max) else { return nil }
        let packed = ls_packed_type(fileType, Int32(rows), Int32(columns))
        guard packed >= 0, source.count > 0 else { return nil }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: source.count, alignment: 64)
        ls_pack(packed, source.baseAddress, Int32(rows), Int32(columns), storage)
        bytes = UnsafeRawPointer(storage)
        type = packed
    }

    deinit {
        UnsafeMutableRawPointer(mutating: bytes).deallocate()
    }
}
