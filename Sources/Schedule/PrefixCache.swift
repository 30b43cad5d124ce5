/// KV slots of prompt prefixes kept after their requests end, in a radix tree over token ids
/// (as LightLLM and SGLang do), so a new prompt that starts the same way reuses them instead of
/// recomputing them.
///
/// Each node holds a run of tokens and the slots of their keys and values. A sequence that uses
/// cached slots locks its deepest node; a node's reference count is the number of sequences
/// locking it or a node below it, so locked paths are never evicted. Unlocked leaves are evicted
/// least recently used first when the pool needs room.
struct PrefixCache {
    struct Node {
        var tokens: [Int32]
        var slots: [Int32]
        var children: [Int32: Int] = [:]
        var parent: Int
        var references = 0
        var lastUsed: UInt64 = 0
    }

    static let root = 0
    private var nodes: [Node?] = [Node(tokens: [], slots: [], parent: -1)]
    private var freeIndices: [Int] = []
    private var tick: UInt64 = 0
    /// Slots held by the tree.
    private(set) var cachedSlots = 0
    /// Slots of nodes some sequence locks.
    private(set) var lockedSlots = 0

    /// Slots that eviction could free now.
    var evictableSlots: Int { cachedSlots - lockedSlots }

    var nodeCount: Int { nodes.count - freeIndices.count }

    // MARK: Matching

    /// The slots of the longest cached prefix of `tokens` no longer than `limit`, and the node
    /// that ends it, now locked (``PrefixCache/root`` and no slots when nothing matches).
    mutating func acquire(_ tokens: [Int32], limit: Int) -> (slots: [Int32], node: Int) {
        let (slots, node) = walk(tokens, limit: limit)
        lock(node)
        return (slots, node)
    }

    /// Unlocks `node` (and so its ancestors) for one sequence.
    mutating func release(_ node: Int) {
        var index = node
        tick += 1
        while index != Self.root {
            nodes[index]!.references -= 1
            nodes[index]!.lastUsed = tick
            if nodes[index]!.references == 0 { lockedSlots -= nodes[index]!.slots.count }
            index = nodes[index]!.parent
        }
    }

    /// Adds `tokens` with their `slots` below the longest cached match, locks the new deepest
    /// node in place of `held`, and returns it with the number of leading tokens that were
    /// cached already: the caller's slots from there on now belong to the tree.
    mutating func insert(_ tokens: [Int32], slots: [Int32], replacing held: Int) -> (node: Int, alreadyCached: Int) {
        precondition(tokens.count == slots.count, "one slot per token")
        let (matched, node) = walk(tokens, limit: tokens.count)
        var deepest = node
        if matched.count < tokens.count {
            deepest = add(Node(tokens: Array(tokens[matched.count...]), slots: Array(slots[matched.count...]), parent: node))
        }
        lock(deepest)
        release(held)
        return (deepest, matched.count)
    }

    // MARK: Eviction

    /// Frees at least `count` slots from unlocked leaves, least recently used first (fewer if
    /// not enough are evictable), and returns them.
    mutating func evict(_ count: Int) -> [Int32] {
        var freed: [Int32] = []
        while freed.count < count {
            var victim: Int?
            for (index, node) in nodes.enumerated() where index != Self.root {
                guard let node, node.children.isEmpty, node.references == 0 else { continue }
                if victim == nil || node.lastUsed < nodes[victim!]!.lastUsed { victim = index }
            }
            guard let victim, let node = nodes[victim] else { break }
            freed += node.slots
            cachedSlots -= node.slots.count
            nodes[node.parent]!.children[node.tokens[0]] = nil
            nodes[victim] = nil
            freeIndices.append(victim)
        }
        return freed
    }

    // MARK: Internals

    /// Follows `tokens` down the tree as far as they match (at most `limit`), splitting the last
    /// node when the match ends inside it; returns the matched slots and the node where it ends.
    private mutating func walk(_ tokens: [Int32], limit: Int) -> (slots: [Int32], node: Int) {
        var node = Self.root
        var slots: [Int32] = []
        while slots.count < limit, let child = nodes[node]!.children[tokens[slots.count]] {
            let edge = nodes[child]!.tokens
            var common = 0
            while common < edge.count && slots.count + common < limit && edge[common] == tokens[slots.count + common] {
                common += 1
            }
            guard common > 0 else { break }
            let target = common < edge.count ? split(child, at: common) : child
            slots += nodes[target]!.slots
            node = target
            if common < edge.count { break }
        }
        return (slots, node)
    }

    /// Splits `index` so its first `length` tokens form a new parent node, which is returned.
    /// The original index keeps the suffix (and its children), so locks held on it stay valid.
    private mutating func split(_ index: Int, at length: Int) -> Int {
        let node = nodes[index]!
        let prefix = add(Node(
            tokens: Array(node.tokens[..<length]), slots: Array(node.slots[..<length]),
            children: [node.tokens[length]: index], parent: node.parent, references: node.references,
            lastUsed: node.lastUsed))
        cachedSlots -= length  // `add` counted the prefix's slots; the suffix below gives them up
        nodes[index]!.tokens.removeFirst(length)
        nodes[index]!.slots.removeFirst(length)
        nodes[index]!.parent = prefix
        return prefix
    }

    private mutating func add(_ node: Node) -> Int {
        let index: Int
        if let reused = freeIndices.popLast() {
            index = reused
            nodes[index] = node
        } else {
            index = nodes.count
            nodes.append(node)
        }
        cachedSlots += node.slots.count
        nodes[node.parent]!.children[node.tokens[0]] = index
        return index
    }

    private mutating func lock(_ node: Int) {
        var index = node
        tick += 1
        while index != Self.root {
            if nodes[index]!.references == 0 { lockedSlots += nodes[index]!.slots.count }
            nodes[index]!.references += 1
            nodes[index]!.lastUsed = tick
            index = nodes[index]!.parent
        }
    }
}
