import GGUF

/// The tokenizer of a GGUF file's `tokenizer.ggml.*` keys: byte-level BPE (`gpt2`: GPT-2, Llama 3,
/// Qwen, SmolLM) or SentencePiece BPE (`llama`: Llama 2, Mistral, Gemma).
///
/// Encoding splits out control and user-defined tokens written literally in the text (so a chat
/// prompt's `<|im_start|>` becomes one token). Byte-level BPE then pre-tokenizes the rest, maps
/// each piece's bytes to the byte-level alphabet and merges adjacent symbols by merge rank;
/// SentencePiece merges by score (``SentencePieceEncoder``). Immutable and `Sendable`: one
/// instance serves every request.
public struct Tokenizer: Sendable {
    public let vocabulary: Vocabulary
    public let preTokenizer: PreTokenizer

    /// Token id of each single byte's byte-level character.
    private let byteTokens: [Int32]
    private let merges: MergeTable
    /// Tokens matched literally in text, longest first (llama.cpp's order).
    private let textMatchedTokens: [(id: Int32, bytes: [UInt8], type: TokenType)]
    /// Llama 3 vocabularies look a whole piece up before merging.
    private let wholePieceLookup: [[UInt8]: Int32]?
    /// Set for SentencePiece vocabularies, which encode with it instead of the byte-level path.
    private let sentencePiece: SentencePieceEncoder?

    /// Builds the tokenizer of a model file, refusing one whose `tokenizer.*` keys ask for what
    /// it does not do (``TokenizerMetadata``).
    public init(gguf: GGUFFile) throws(TokenizerError) {
        let model: String
        let mergeList: [String]
        let preName: String
        do {
            model = try gguf.requireString("tokenizer.ggml.model")
            guard model == "llama" || model == "gpt2" else { throw TokenizerError.unsupportedModel(model) }
            let unread = TokenizerMetadata.unreadKeys(of: gguf, model: model)
            guard unread.isEmpty else { throw TokenizerError.unreadMetadata(unread) }
            if try gguf.bool("tokenizer.ggml.add_sep_token") == true {
                throw TokenizerError.unsupportedSetting(key: "tokenizer.ggml.add_sep_token", "appending a separator token is not implemented")
            }
            if model == "llama" {
                if let pre = try gguf.string("tokenizer.ggml.pre"), pre != "default" {
                    throw TokenizerError.unsupportedSetting(
                        key: "tokenizer.ggml.pre", "SentencePiece does not pre-tokenize, yet the file names pre-tokenizer '\(pre)'")
                }
                let scores = try Self.scores(gguf)
                let addSpacePrefix = try gguf.bool("tokenizer.ggml.add_space_prefix") ?? true
                try self.init(sentencePiece: Vocabulary(gguf: gguf), scores: scores, addSpacePrefix: addSpacePrefix)
                return
            }
            // Byte-level BPE encodes spaces itself; llama.cpp never adds a prefix space to it.
            if try gguf.bool("tokenizer.ggml.add_space_prefix") == true {
                throw TokenizerError.unsupportedSetting(
                    key: "tokenizer.ggml.add_space_prefix", "adding a space prefix is not defined for byte-level BPE")
            }
            mergeList = try gguf.requireStringArray("tokenizer.ggml.merges")
            guard let name = try gguf.string("tokenizer.ggml.pre") else { throw TokenizerError.missingPreTokenizer }
            preName = name
        } catch let error as GGUFError {
            throw .metadata(error)
        } catch let error as TokenizerError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        try self.init(vocabulary: Vocabulary(gguf: gguf), merges: mergeList, preTokenizer: PreTokenizer(name: preName))
    }

    /// Builds a tokenizer from a vocabulary and its merge list (`"left right"` strings, best first).
    public init(vocabulary: Vocabulary, merges mergeList: [String], preTokenizer: PreTokenizer) throws(TokenizerError) {
        self.vocabulary = vocabulary
        self.preTokenizer = preTokenizer

        // Keyed by UTF-8 bytes, not String: Swift compares strings by canonical equivalence,
        // and two distinct tokens may be canonically equivalent.
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (i, text) in vocabulary.tokens.enumerated() where ids[Array(text.utf8)] == nil {
            ids[Array(text.utf8)] = Int32(i)
        }
        // Some vocabularies lack tokens for bytes that never occurred in training; like
        // llama.cpp, such bytes are dropped from the output.
        self.byteTokens = (0..<256).map { byte in
            ids[Array(String(Character(ByteLevelAlphabet.scalarForByte[byte])).utf8)] ?? -1
        }

        var merges = MergeTable(capacity: mergeList.count)
        for (rank, line) in mergeList.enumerated() {
            let utf8 = Array(line.utf8)
            guard let space = utf8.firstIndex(of: 0x20),
                let left = ids[Array(utf8[..<space])], let right = ids[Array(utf8[(space + 1)...])]
            else {
                throw .inconsistentVocabulary("merge #\(rank) '\(line)' names a token not in the vocabulary")
            }
            var joined = utf8
            joined.remove(at: space)
            guard let result = ids[joined] else { continue }
            merges.add(left: left, right: right, result: result, rank: Int32(rank))
        }
        self.merges = merges

        self.textMatchedTokens = Self.textMatchedTokens(vocabulary)

        if case .llama3 = preTokenizer {
            var whole: [[UInt8]: Int32] = [:]
            for (i, type) in vocabulary.types.enumerated() where type == .normal {
                if let bytes = ByteLevelAlphabet.bytes(of: vocabulary.tokens[i]), whole[bytes] == nil {
                    whole[bytes] = Int32(i)
                }
            }
            self.wholePieceLookup = whole
        } else {
            self.wholePieceLookup = nil
        }
        self.sentencePiece = nil
    }

    /// Builds a SentencePiece tokenizer from a vocabulary (its normal tokens spelled with U+2581
    /// for spaces) and each token's score.
    public init(sentencePiece vocabulary: Vocabulary, scores: [Float], addSpacePrefix: Bool) throws(TokenizerError) {
        self.vocabulary = vocabulary
        self.preTokenizer = .gpt2(isolateDigits: false)  // unused: SentencePiece does not pre-tokenize
        self.byteTokens = []
        self.merges = MergeTable(capacity: 0)
        self.wholePieceLookup = nil
        self.textMatchedTokens = Self.textMatchedTokens(vocabulary)
        self.sentencePiece = try SentencePieceEncoder(vocabulary: vocabulary, scores: scores, addSpacePrefix: addSpacePrefix)
    }

    /// `tokenizer.ggml.scores`: one number per token.
    private static func scores(_ gguf: GGUFFile) throws(GGUFError) -> [Float] {
        let value = try gguf.require("tokenizer.ggml.scores")
        guard case .array(_, let items) = value else {
            throw .typeMismatch(key: "tokenizer.ggml.scores", expected: "array of numbers", found: value.typeDescription)
        }
        var scores: [Float] = []
        scores.reserveCapacity(items.count)
        for item in items {
            guard let score = item.doubleValue else {
                throw .typeMismatch(key: "tokenizer.ggml.scores", expected: "array of numbers", found: value.typeDescription)
            }
            scores.append(Float(score))
        }
        return scores
    }

    /// Tokens matched literally in text (control, user-defined and unknown), longest first.
    private static func textMatchedTokens(_ vocabulary: Vocabulary) -> [(id: Int32, bytes: [UInt8], type: TokenType)] {
        vocabulary.tokens.indices
            .filter { vocabulary.types[$0].isMatchedInText && !vocabulary.tokens[$0].isEmpty }
            .map { (Int32($0), Array(vocabulary.tokens[$0].utf8), vocabulary.types[$0]) }
            .sorted { $0.bytes.count > $1.bytes.count }
    }

    // MARK: Encoding

    /// Token ids for `text`.
    ///
    /// - Parameters:
    ///   - parseSpecial: read control and user-defined tokens written in the text as single
    ///     tokens (`<|im_start|>`); when false they are tokenized as plain text.
    ///   - addSpecial: add the model's BOS (and EOS) if its metadata asks for them.
    public func encode(_ text: String, parseSpecial: Bool = true, addSpecial: Bool = true) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bosID { output.append(bos) }
        // SentencePiece's space prefix goes before text that starts the input or follows a
        // special token (llama.cpp's rule).
        var afterSpecial = true
        for fragment in fragments(of: text, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
                afterSpecial = true
            case .text(let range):
                if let sentencePiece {
                    sentencePiece.encode(text.utf8[range], prefixSpace: afterSpecial, into: &output)
                } else {
                    encodePlain(text.utf8[range], into: &output)
                }
                afterSpecial = false
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eosID { output.append(eos) }
        return output
    }

    private enum Fragment {
        case token(Int32)
        case text(Range<String.UTF8View.Index>)
    }

    /// Splits `text` around literal occurrences of text-matched tokens, longest token first.
    /// User-defined tokens (Gemma's runs of spaces and newlines) are matched even when special
    /// parsing is off, as llama.cpp does; control tokens only when it is on.
    private func fragments(of text: String, parseSpecial: Bool) -> [Fragment] {
        let utf8 = text.utf8
        var fragments: [Fragment] = [.text(utf8.startIndex..<utf8.endIndex)]
        guard !textMatchedTokens.isEmpty else { return fragments }
        let bytes = Array(utf8)
        func index(_ offset: Int) -> String.UTF8View.Index { utf8.index(utf8.startIndex, offsetBy: offset) }
        // Work in byte offsets, converting back to indices once at the end.
        var pieces: [(token: Int32?, range: Range<Int>)] = [(nil, 0..<bytes.count)]
        for (id, pattern, type) in textMatchedTokens where parseSpecial || type == .userDefined {
            let first = pattern[0]
            var next: [(token: Int32?, range: Range<Int>)] = []
            next.reserveCapacity(pieces.count)
            for piece in pieces {
                guard piece.token == nil, piece.range.count >= pattern.count else {
                    next.append(piece)
                    continue
                }
                var start = piece.range.lowerBound
                var i = start
                let last = piece.range.upperBound - pattern.count
                while i <= last {
                    if bytes[i] == first && bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                        if start < i { next.append((nil, start..<i)) }
                        next.append((id, i..<(i + pattern.count)))
                        i += pattern.count
                        start = i
                    } else {
                        i += 1
                    }
                }
                if start < piece.range.upperBound { next.append((nil, start..<piece.range.upperBound)) }
            }
            pieces = next
        }
        fragments = pieces.map { piece in
            if let token = piece.token { return .token(token) }
            return .text(index(piece.range.lowerBound)..<index(piece.range.upperBound))
        }
        return fragments
    }

    /// Pre-tokenizes and BPE-encodes text that holds no special tokens.
    private func encodePlain(_ utf8: Substring.UTF8View, into output: inout [Int32]) {
        guard !utf8.isEmpty else { return }
        let text = ScalarText(Substring(utf8).unicodeScalars)
        var pieceBytes: [UInt8] = []
        var symbols: [Int32] = []
        preTokenizer.split(text, 0..<text.scalars.count) { range in
            pieceBytes.removeAll(keepingCapacity: true)
            for k in range {
                let scalar = Unicode.Scalar(text.scalars[k])!
                UTF8.encode(scalar) { pieceBytes.append($0) }
            }
            if let whole = wholePieceLookup?[pieceBytes] {
                output.append(whole)
                return
            }
            symbols.removeAll(keepingCapacity: true)
            for b in pieceBytes { symbols.append(byteTokens[Int(b)]) }
            merges.apply(to: &symbols)
            for symbol in symbols where symbol >= 0 { output.append(symbol) }
        }
    }

    // MARK: Decoding

    /// The text of `ids` in one piece; invalid UTF-8 becomes U+FFFD.
    ///
    /// - Parameter skipSpecial: leave control tokens' text out.
    public func decode(_ ids: [Int32], skipSpecial: Bool = true) throws(TokenizerError) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard vocabulary.contains(id) else { throw .tokenOutOfRange(id: Int(id), vocabularySize: vocabulary.count) }
            if skipSpecial && vocabulary.isSpecial(id) { continue }
            bytes.append(contentsOf: vocabulary.bytes(of: id))
        }
        // SentencePiece's space prefix is not part of the text (llama.cpp drops it too).
        if let sentencePiece, sentencePiece.addSpacePrefix, bytes.first == 0x20 { bytes.removeFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
