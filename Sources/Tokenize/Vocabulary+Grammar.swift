import Grammar

extension Vocabulary {
    /// The tokens as a grammar sees them: each id's output bytes, the control tokens (matched by
    /// no grammar text) and the ids that end a sequence.
    public var grammarVocabulary: TokenVocabulary {
        TokenVocabulary(
            count: count, bytes: { bytes(of: $0) }, controlIDs: types.indices.filter { types[$0] == .control }.map { Int32($0) },
            endOfSequenceIDs: stopIDs)
    }
}
