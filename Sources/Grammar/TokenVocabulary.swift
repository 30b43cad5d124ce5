/// A model's tokens as a grammar sees them: the bytes each id adds to the output, which ids are
/// control tokens (`<|im_end|>`, `<|endoftext|>`, BOS: never matched by grammar bytes), and which
/// ids end a sequence (allowed exactly where the grammar may end). Added tokens that are not
/// control tokens (Qwen's `<tool_call>`) are ordinary text here: a grammar literal
/// `"<tool_call>"` is met by that one token as well as by its pieces.
///
/// The serving side builds it from `Tokenize.Vocabulary` (`bytes(of:)`, `isSpecial`, `stopIDs`);
/// tests build it from lists.
public struct TokenVocabulary: Sendable {
    /// Every token's bytes back to back; token `i` spans `offsets[i]..<offsets[i + 1]`.
    private let storage: [UInt8]
    private let offsets: [Int32]
    private let control: [Bool]
    /// The ids that end a sequence, sorted. They are control tokens whatever `init` was told.
    public let endOfSequenceIDs: [Int32]

    /// Builds the table from each id's bytes (`tokens[id]`), the control ids and the
    /// end-of-sequence ids (ids outside the table are ignored).
    public init(tokens: [[UInt8]], controlIDs: some Sequence<Int32>, endOfSequenceIDs: some Sequence<Int32>) {
        self.init(count: tokens.count, bytes: { tokens[Int($0)] }, controlIDs: controlIDs, endOfSequenceIDs: endOfSequenceIDs)
    }

    /// Builds the table for ids `0..<count`, asking `bytes` for each id's output bytes.
    public init<Bytes: Collection<UInt8>>(
        count: Int, bytes: (Int32) -> Bytes, controlIDs: some Sequence<Int32>, endOfSequenceIDs: some Sequence<Int32>
    ) {
        var storage: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(count + 1)
        for id in 0..<count {
            storage.append(contentsOf: bytes(Int32(id)))
            offsets.append(Int32(storage.count))
        }
        var control = [Bool](repeating: false, count: count)
        for id in controlIDs where id >= 0 && Int(id) < count { control[Int(id)] = true }
        let ends = Set(endOfSequenceIDs.filter { $0 >= 0 && Int($0) < count }).sorted()
        for id in ends { control[Int(id)] = true }
        self.storage = storage
        self.offsets = offsets
        self.control = control
        self.endOfSequenceIDs = ends
    }

    /// The number of token ids.
    public var count: Int { control.count }

    /// The bytes token `id` adds to the output.
    public func bytes(of id: Int32) -> ArraySlice<UInt8> {
        storage[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])]
    }

    /// Whether `id` is a control token (grammar bytes never match it).
    public func isControl(_ id: Int32) -> Bool {
        control[Int(id)]
    }

    /// Whether `id` ends a sequence.
    public func isEndOfSequence(_ id: Int32) -> Bool {
        endOfSequenceIDs.contains(id)
    }

    /// Whether `id` is a token a grammar can match: not a control token and not empty.
    func isGrammarToken(_ id: Int32) -> Bool {
        !control[Int(id)] && offsets[Int(id) + 1] > offsets[Int(id)]
    }

    /// Calls `body` with the raw byte storage and offsets (for sorting without copying).
    func withStorage<R>(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Int32>) -> R) -> R {
        storage.withUnsafeBufferPointer { s in offsets.withUnsafeBufferPointer { o in body(s, o) } }
    }
}
