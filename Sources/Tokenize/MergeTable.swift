/// BPE merge ranks by token pair, and the merging itself.
struct MergeTable: Sendable {
    private struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    private var merges: [UInt64: Merge] = [:]

    init(capacity: Int) {
        merges.reserveCapacity(capacity)
    }

    /// Records that `left` followed by `right` merges into `result` with `rank`; the first
    /// (best-ranked) record of a pair wins.
    mutating func add(left: Int32, right: Int32, result: Int32, rank: Int32) {
        let key = Self.key(left, right)
        if merges[key] == nil { merges[key] = Merge(rank: rank, result: result) }
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Applies merges to `symbols` in rank order (ties: leftmost first) until none applies.
    func apply(to symbols: inout [Int32]) {
        // Most pieces are a few symbols long, where a rescan per merge beats a heap; long pieces
        // (a 100 KB word is a valid prompt) take the heap so the cost stays n log n.
        if symbols.count <= 48 {
            applyByRescan(to: &symbols)
        } else {
            applyByHeap(to: &symbols)
        }
    }

    /// The small-piece algorithm on any input, for tests that check the two paths agree.
    func applyForTesting(byRescan symbols: inout [Int32]) {
        applyByRescan(to: &symbols)
    }

    private func applyByRescan(to symbols: inout [Int32]) {
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestIndex = -1
            var bestResult: Int32 = 0
            for i in 0..<(symbols.count - 1) {
                if let merge = merges[Self.key(symbols[i], symbols[i + 1])], merge.rank < bestRank {
                    bestRank = merge.rank
                    bestIndex = i
                    bestResult = merge.result
                }
            }
            guard bestIndex >= 0 else { return }
            symbols[bestIndex] = bestResult
            symbols.remove(at: bestIndex + 1)
        }
    }

    /// A candidate merge of the symbol at `left` with its right neighbour, valid only while
    /// both still hold the ids it was made from.
    private struct Candidate: Comparable {
        var rank: Int32
        var left: Int32
        var leftID: Int32
        var rightID: Int32

        static func < (a: Self, b: Self) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.left < b.left
        }
    }

    private func applyByHeap(to symbols: inout [Int32]) {
        let n = symbols.count
        var ids = symbols
        var next = (0..<n).map { Int32($0 + 1) }  // n marks the end
        var prev = (0..<n).map { Int32($0 - 1) }
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap<Candidate>()

        func push(_ left: Int32) {
            guard left >= 0 else { return }
            let right = next[Int(left)]
            guard right < n else { return }
            if let merge = merges[Self.key(ids[Int(left)], ids[Int(right)])] {
                heap.push(Candidate(rank: merge.rank, left: left, leftID: ids[Int(left)], rightID: ids[Int(right)]))
            }
        }
        for i in 0..<(n - 1) { push(Int32(i)) }

        while let candidate = heap.pop() {
            let left = Int(candidate.left)
            let right = Int(next[left])
            guard alive[left], right < n, ids[left] == candidate.leftID, ids[right] == candidate.rightID,
                let merge = merges[Self.key(candidate.leftID, candidate.rightID)]
            else { continue }
            ids[left] = merge.result
            alive[right] = false
            next[left] = next[right]
            if next[right] < n { prev[Int(next[right])] = Int32(left) }
            push(prev[left])
            push(Int32(left))
        }
        symbols.removeAll(keepingCapacity: true)
        var i = 0
        while i < n {
            symbols.append(ids[i])
            i = Int(next[i])
        }
    }
}

/// A binary min-heap, just enough for the merge queue.
struct MinHeap<Element: Comparable> {
    private var storage: [Element] = []

    mutating func push(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let top = storage.first else { return nil }
        let last = storage.removeLast()
        guard !storage.isEmpty else { return top }
        storage[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < storage.count && storage[left] < storage[smallest] { smallest = left }
            if right < storage.count && storage[right] < storage[smallest] { smallest = right }
            guard smallest != parent else { return top }
            storage.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
