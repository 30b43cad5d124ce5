#if canImport(Glibc)
import Glibc
#endif

/// Keys and values of every layer for a fixed pool of token slots (LightLLM's token attention):
/// a sequence's position `p` lives in whatever slot the scheduler assigned it, so there is no
/// padding and no fragmentation. The slot bookkeeping belongs to the scheduler; this is storage.
public final class KVCache {
    /// Number of token slots.
    public let capacity: Int
    let layerCount: Int
    let kvDimension: Int
    /// `[layer][slot][kvDimension]` half-precision values, keys then values. Half precision
    /// halves what decode attention reads (it is bound by reading the whole context every step)
    /// and doubles the slots a given pool holds.
    let keys: UnsafeMutablePointer<UInt16>
    let values: UnsafeMutablePointer<UInt16>

    /// Bytes one token slot takes across all layers.
    public static func bytesPerSlot(_ configuration: ModelConfiguration) -> Int {
        2 * configuration.layerCount * configuration.kvDimension * MemoryLayout<UInt16>.size
    }

    public init(configuration: ModelConfiguration, capacity: Int) {
        precondition(capacity > 0, "a KV cache needs at least one slot")
        self.capacity = capacity
        self.layerCount = configuration.layerCount
        self.kvDimension = configuration.kvDimension
        let count = layerCount * capacity * kvDimension
        // calloc of this size maps fresh zero pages: memory becomes resident only as slots are
        // first written, so a large pool costs nothing until it is used.
        guard let k = calloc(count, MemoryLayout<UInt16>.size), let v = calloc(count, MemoryLayout<UInt16>.size) else {
            fatalError("cannot allocate a KV cache of \(capacity) slots (\(2 * count * 2 >> 20) MiB)")
        }
        keys = k.assumingMemoryBound(to: UInt16.self)
        values = v.assumingMemoryBound(to: UInt16.self)
    }

    deinit {
        free(keys)
        free(values)
    }

    func keys(layer: Int) -> UnsafeMutablePointer<UInt16> { keys + layer * capacity * kvDimension }
    func values(layer: Int) -> UnsafeMutablePointer<UInt16> { values + layer * capacity * kvDimension }
}
