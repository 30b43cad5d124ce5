/// The KV cache's token slots: a fixed pool handed out one slot per token (LightLLM's token
/// attention), so sequences need no contiguous region, no padding, and free slots never fragment.
public struct SlotPool: Sendable {
    public let capacity: Int
    private var free: [Int32]

    public init(capacity: Int) {
        precondition(capacity > 0 && capacity <= Int(Int32.max), "slot pool capacity \(capacity) is out of range")
        self.capacity = capacity
        // Handed out lowest first, so a fresh prompt gets ascending neighbouring slots.
        free = (0..<Int32(capacity)).reversed()
    }

    public var freeCount: Int { free.count }
    public var usedCount: Int { capacity - free.count }

    /// `count` slots, or nil (and nothing taken) if fewer are free.
    public mutating func allocate(_ count: Int) -> [Int32]? {
        guard count <= free.count else { return nil }
        let taken = free.suffix(count).reversed()
        free.removeLast(count)
        return Array(taken)
    }

    /// Returns slots to the pool.
    public mutating func release<S: Sequence>(_ slots: S) where S.Element == Int32 {
        free.append(contentsOf: slots)
    }
}
