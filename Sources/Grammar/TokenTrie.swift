/// The grammar tokens of a vocabulary (not control, not empty) as a byte trie laid out in
/// depth-first order: a node's subtree is the range `index..<end`, so a walk that rejects a byte
/// skips every token below it in one jump, and tokens with a common prefix share its steps.
struct TokenTrie: Sendable {
    struct Node: Sendable {
        /// The byte on the edge into this node (unused for the root).
        var byte: UInt8
        /// One past the last node of this node's subtree.
        var end: Int32
        /// The tokens whose bytes end here: `tokenIDs[tokenStart..<tokenEnd]`.
        var tokenStart: Int32
        var tokenEnd: Int32
    }

    /// Node 0 is the root (the empty prefix).
    let nodes: [Node]
    /// Token ids grouped by node, in byte order.
    let tokenIDs: [Int32]
    /// The length of the longest token (the trie's depth).
    let maxDepth: Int

    /// The trie of every grammar token of `vocabulary`.
    init(_ vocabulary: TokenVocabulary) {
        var ids = (0..<Int32(vocabulary.count)).filter { vocabulary.isGrammarToken($0) }
        vocabulary.withStorage { storage, offsets in
            func less(_ a: Int32, _ b: Int32) -> Bool {
                let (aStart, aEnd) = (Int(offsets[Int(a)]), Int(offsets[Int(a) + 1]))
                let (bStart, bEnd) = (Int(offsets[Int(b)]), Int(offsets[Int(b) + 1]))
                let common = min(aEnd - aStart, bEnd - bStart)
                for k in 0..<common where storage[aStart + k] != storage[bStart + k] {
                    return storage[aStart + k] < storage[bStart + k]
                }
                return aEnd - aStart < bEnd - bStart || (aEnd - aStart == bEnd - bStart && a < b)
            }
            ids.sort(by: less)
        }
        self.init(sortedIDs: ids, vocabulary)
    }

    /// The trie of the tokens `ids`, already in byte order (a subset of another trie's
    /// `tokenIDs` keeps that order).
    init(sortedIDs ids: [Int32], _ vocabulary: TokenVocabulary) {
        var nodes = [Node(byte: 0, end: 0, tokenStart: 0, tokenEnd: 0)]
        var tokenIDs: [Int32] = []
        tokenIDs.reserveCapacity(ids.count)
        var path: [Int] = [0]  // node index per depth along the current token
        var previous: ArraySlice<UInt8> = []
        var maxDepth = 0
        for id in ids {
            let bytes = vocabulary.bytes(of: id)
            maxDepth = max(maxDepth, bytes.count)
            var common = 0
            while common < min(bytes.count, previous.count),
                bytes[bytes.startIndex + common] == previous[previous.startIndex + common]
            {
                common += 1
            }
            while path.count - 1 > common {
                nodes[path.removeLast()].end = Int32(nodes.count)
            }
            for k in common..<bytes.count {
                let start = Int32(tokenIDs.count)
                nodes.append(Node(byte: bytes[bytes.startIndex + k], end: 0, tokenStart: start, tokenEnd: start))
                path.append(nodes.count - 1)
            }
            let last = path[path.count - 1]
            if nodes[last].tokenStart == nodes[last].tokenEnd { nodes[last].tokenStart = Int32(tokenIDs.count) }
            tokenIDs.append(id)
            nodes[last].tokenEnd = Int32(tokenIDs.count)
            previous = bytes
        }
        while let node = path.popLast() { nodes[node].end = Int32(nodes.count) }
        self.nodes = nodes
        self.tokenIDs = tokenIDs
        self.maxDepth = maxDepth
    }
}
