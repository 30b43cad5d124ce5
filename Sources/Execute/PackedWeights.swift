import ExecuteKernels

/// A weight matrix repacked into one of the kernels' packed layouts (`ls_pack`): rows interleaved
/// in groups of 16, which their kernel reads with a weight row per vector lane (a SmolLM2 layer
/// in cache in ~40% of the file layout's time). The copy lives in its model's ``HugePageArena``,
/// which it keeps alive; immutable once made.
final class PackedWeights: @unchecked Sendable {
    // Written once in init, read-only afterwards, so sharing it across threads is safe.
    let bytes: UnsafeRawPointer
    private let arena: HugePageArena
    /// The layout's kernel type code (`LS_TYPE_*_X16`).
    let type: Int32

    /// Rows packed per slice: after each, `done` may give back the slice's source pages, so that
    /// packing a matrix never holds two whole copies (Gemma 3's 178 MB head: peak RSS 411 MB
    /// packed in one go).
    static let sliceRows = 1024

    /// Packs `rows` × `columns` weights of file type `fileType` at `source` into memory from
    /// `arena`, or nil when the kernels have no packed layout for them (or the arena no memory).
    /// `done` is told each slice of `source`'s bytes once it has been packed (from the previous
    /// slice's start, so that the page the two share is whole by then).
    init?(
        source: UnsafeRawBufferPointer, fileType: Int32, rows: Int, columns: Int, arena: HugePageArena,
        done: (Range<Int>) -> Void
    ) {
        guard rows > 0, rows <= Int(Int32.max), columns <= Int(Int32.max) else { return nil }
        let packed = ls_packed_type(fileType, Int32(rows), Int32(columns))
        guard packed >= 0, let base = source.baseAddress, source.count % rows == 0,
            let storage = arena.allocate(byteCount: source.count)
        else { return nil }
        let rowBytes = source.count / rows
        // Slices are whole groups: a group's bytes are its rows' bytes, in place.
        for first in stride(from: 0, to: rows, by: Self.sliceRows) {
            let count = min(Self.sliceRows, rows - first)
            let slice = (first * rowBytes)..<((first + count) * rowBytes)
            ls_pack(packed, base + slice.lowerBound, Int32(count), Int32(columns), storage + slice.lowerBound)
            done(max(0, slice.lowerBound - Self.sliceRows * rowBytes)..<slice.upperBound)
        }
        bytes = UnsafeRawPointer(storage)
        type = packed
        self.arena = arena
    }
}
