/// A least-recently-used map bounded by entry count and by the bytes its values hold. Not
/// thread-safe on its own: `GrammarCompiler` keeps it behind a mutex.
struct BoundedCache<Key: Hashable, Value> {
    fileprivate struct Entry {
        var value: Value
        var bytes: Int
        var lastUse: UInt64
    }

    private var entries: [HashedKey<Key>: Entry] = [:]
    private var clock: UInt64 = 0
    private(set) var bytes = 0
    let maxCount: Int
    let maxBytes: Int

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = max(maxCount, 1)
        self.maxBytes = max(maxBytes, 0)
    }

    var count: Int { entries.count }

    /// The value for `key`, marked as just used.
    mutating func value(for key: HashedKey<Key>) -> Value? {
        guard var entry = entries[key] else { return nil }
        clock += 1
        entry.lastUse = clock
        entries[key] = entry
        return entry.value
    }

    /// Stores `value` (holding `bytes`), evicting the least recently used entries beyond the
    /// bounds; the new entry stays even if it alone exceeds the byte bound.
    mutating func insert(_ value: Value, bytes: Int, for key: HashedKey<Key>) {
        clock += 1
        if let old = entries[key] { self.bytes -= old.bytes }
        entries[key] = Entry(value: value, bytes: bytes, lastUse: clock)
        self.bytes += bytes
        while entries.count > maxCount || (self.bytes > maxBytes && entries.count > 1) {
            guard let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }), oldest.key != key else { break }
            self.bytes -= oldest.value.bytes
            entries[oldest.key] = nil
        }
    }
}

/// A key with its hash computed once, outside any lock: a grammar or an automaton description
/// can be large, and the cache's dictionary hashes its key on every lookup.
struct HashedKey<Key: Hashable>: Hashable {
    let key: Key
    private let hash: Int

    init(_ key: Key) {
        self.key = key
        hash = key.hashValue
    }

    static func == (a: HashedKey, b: HashedKey) -> Bool {
        a.hash == b.hash && a.key == b.key
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }
}

extension HashedKey: Sendable where Key: Sendable {}
extension BoundedCache: Sendable where Key: Sendable, Value: Sendable {}
extension BoundedCache.Entry: Sendable where Key: Sendable, Value: Sendable {}
