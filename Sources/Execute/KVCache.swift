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
    /// `[layer][slot][kvDimension]`, keys then values.
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>

    /// Bytes one token slot takes across all layers.
    public static func bytesPerSlot(_ configuration: LlamaConfiguration) -> Int {
        2 * configuration.layerCount * configuration.kvDimension * MemoryLayout<Float>.size
    }

    public init(configuration: LlamaConfiguration, capacity: Int) {
        precondition(capacity > 0, "a KV cache needs at least one slot")
        self.capacity = capacity
        self.layerCount = configuration.layerCount
        self.kvDimension = configuration.kvDimension
        let count = layerCount * capacity * kvDimension
        // calloc of this size maps fresh zero pages: memory becomes resident only as slots are
        // first written, so a large pool costs nothing until it is used.
        guard let k = calloc(count, MemoryLayout<Float>.size), let v = calloc(count, MemoryLayout<Float>.size) else {
            fatalError("cannot allocate a KV cache of \(capacity) slots (\(2 * count * 4 >> 20) MiB)")
        }
        keys = k.assumingMemoryBound(to: Float.self)
        values = v.assumingMemoryBound(to: Float.self)
    }

    deinit {
        free(keys)
        free(values)
    }

    func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys + layer * capacity * kvDimension }
    func values(layer: Int) -> UnsafeMutablePointer<Float> { values + layer * capacity * kvDimension }
}
