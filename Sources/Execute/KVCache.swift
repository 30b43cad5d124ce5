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
        keys = .allocate(capacity: count)
        values = .allocate(capacity: count)
        // Zeroed so untouched pages stay unbacked until used, and reads of a bad slot are finite.
        keys.initialize(repeating: 0, count: count)
        values.initialize(repeating: 0, count: count)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys + layer * capacity * kvDimension }
    func values(layer: Int) -> UnsafeMutablePointer<Float> { values + layer * capacity * kvDimension }
}
