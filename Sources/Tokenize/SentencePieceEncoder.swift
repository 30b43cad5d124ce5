/// SentencePiece BPE (`tokenizer.ggml.model = "llama"`: Llama 1-2, Mistral, Gemma), as llama.cpp
/// runs it: spaces become U+2581, the text starts as one symbol per UTF-8 character, and the
/// adjacent pair whose concatenation is the vocabulary token with the highest score merges first
/// (ties: leftmost) until no pair forms a token. A character that is not a token is written as
/// its `<0xXX>` byte tokens.
struct SentencePieceEncoder: Sendable {
    /// Token id of each text (UTF-8 bytes of the token as stored, U+2581 for spaces).
    private let ids: [[UInt8]: Int32]
    private let scores: [Float]
    /// `<0xXX>` token of each byte, or -1.
    private let byteTokens: [Int32]
    /// Whether a space is added before text that starts the input or follows a special token
    /// (`tokenizer.ggml.add_space_prefix`, true unless the file says otherwise; Gemma: false).
    let addSpacePrefix: Bool
    let unknownID: Int32?

    /// U+2581 LOWER ONE EIGHTH BLOCK in UTF-8: SentencePiece's visible space.
    static let spaceMarker: [UInt8] = [0xE2, 0x96, 0x81]

    init(vocabulary: Vocabulary, scores: [Float], addSpacePrefix: Bool) throws(TokenizerError) {
        guard scores.count == vocabulary.count else {
            throw .inconsistentVocabulary("\(vocabulary.count) tokens but \(scores.count) scores")
        }
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (i, text) in vocabulary.tokens.enumerated() where ids[Array(text.utf8)] == nil {
            ids[Array(text.utf8)] = Int32(i)
        }
        self.ids = ids
        self.scores = scores
        self.byteTokens = (0..<256).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return ids[Array("<0x\(hex.count == 1 ? "0" + hex : hex)>".utf8)] ?? -1
        }
        self.addSpacePrefix = addSpacePrefix
        self.unknownID = vocabulary.unknownID
    }

    /// One symbol of the merge list: bytes `start ..< start + length` of the escaped text.
    private struct Symbol {
        var start: Int32
        var length: Int32
        var previous: Int32
        var next: Int32
    }

    /// A candidate merge of symbol `left` with its right neighbour into a token of `score`,
    /// valid while the two still span `length` bytes.
    private struct Candidate: Comparable {
        var score: Float
        var left: Int32
        var right: Int32
        var length: Int32

        /// Min-heap order of "best first": higher score, then leftmost.
        static func < (a: Self, b: Self) -> Bool {
            a.score != b.score ? a.score > b.score : a.left < b.left
        }
    }

    /// Appends the tokens of `text` (a fragment with no special tokens); `prefixSpace` adds the
    /// space prefix when the file asks for it.
    func encode(_ text: Substring.UTF8View, prefixSpace: Bool, into output: inout [Int32]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count + 3)
        if prefixSpace && addSpacePrefix { bytes += Self.spaceMarker }
        for byte in text {
            if byte == 0x20 { bytes += Self.spaceMarker } else { bytes.append(byte) }
        }
        guard !bytes.isEmpty else { return }

        var symbols: [Symbol] = []
        var offset = 0
        while offset < bytes.count {
            let length = min(Self.utf8Length(bytes[offset]), bytes.count - offset)
            let index = Int32(symbols.count)
            symbols.append(Symbol(start: Int32(offset), length: Int32(length), previous: index - 1, next: index + 1))
            offset += length
        }
        symbols[symbols.count - 1].next = -1

        var heap = MinHeap<Candidate>()
        func consider(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let l = symbols[Int(left)], r = symbols[Int(right)]
            let start = Int(l.start), end = Int(r.start + r.length)
            guard let id = ids[Array(bytes[start..<end])] else { return }
            heap.push(Candidate(score: scores[Int(id)], left: left, right: right, length: Int32(end - start)))
        }
        for i in 1..<symbols.count { consider(Int32(i - 1), Int32(i)) }
        while let candidate = heap.pop() {
            let left = Int(candidate.left), right = Int(candidate.right)
            // Stale if either side has merged since.
            guard symbols[left].length > 0, symbols[right].length > 0,
                symbols[left].length + symbols[right].length == candidate.length
            else { continue }
            symbols[left].length += symbols[right].length
            symbols[right].length = 0
            symbols[left].next = symbols[right].next
            if symbols[right].next >= 0 { symbols[Int(symbols[right].next)].previous = Int32(left) }
            consider(symbols[left].previous, Int32(left))
            consider(Int32(left), symbols[left].next)
        }

        var i: Int32 = 0
        while i >= 0 {
            let symbol = symbols[Int(i)]
            let piece = bytes[Int(symbol.start)..<Int(symbol.start + symbol.length)]
            if let id = ids[Array(piece)] {
                output.append(id)
            } else {
                for byte in piece {
                    let id = byteTokens[Int(byte)]
                    if id >= 0 {
                        output.append(id)
                    } else if let unknownID {
                        output.append(unknownID)
                    }
                }
            }
            i = symbol.next
        }
    }

    /// Length of the UTF-8 sequence a lead byte starts (1 for stray continuation bytes).
    private static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}
