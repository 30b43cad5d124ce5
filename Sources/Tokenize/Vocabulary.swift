import GGUF

/// The token table of a model: each id's text, type and output bytes, and the ids with a fixed
/// role (BOS, EOS, padding). Immutable once loaded and shared by tokenizer and detokenizer.
public struct Vocabulary: Sendable {
    /// Each token's text as the model file stores it (byte-level characters for BPE tokens).
    public let tokens: [String]
    public let types: [TokenType]
    public let bosID: Int32?
    public let eosID: Int32?
    public let padID: Int32?
    public let unknownID: Int32?
    /// End-of-turn markers that also end generation (EOS plus, for chat models, `<|im_end|>`
    /// style tokens), in id order.
    public let stopIDs: [Int32]
    /// How normal tokens spell their text.
    public enum Spelling: Sendable, Equatable {
        /// GPT-2's byte-level alphabet (`Ġ` for a space byte).
        case byteLevel
        /// SentencePiece: UTF-8 text with U+2581 for spaces.
        case sentencePiece
    }

    public let spelling: Spelling
    /// Whether prompts should start with BOS (`tokenizer.ggml.add_bos_token`).
    public let addBOS: Bool
    public let addEOS: Bool

    /// Every token's output bytes, back to back; token `i` spans `byteOffsets[i]..<byteOffsets[i+1]`.
    private let bytes: [UInt8]
    private let byteOffsets: [Int32]

    public var count: Int { tokens.count }

    /// Loads the table from a GGUF file's `tokenizer.ggml.*` keys.
    public init(gguf: GGUFFile) throws(TokenizerError) {
        do {
            let tokens = try gguf.requireStringArray("tokenizer.ggml.tokens")
            let rawTypes = try gguf.intArray("tokenizer.ggml.token_type") ?? Array(repeating: 1, count: tokens.count)
            guard rawTypes.count == tokens.count else {
                throw TokenizerError.inconsistentVocabulary(
                    "\(tokens.count) tokens but \(rawTypes.count) token types")
            }
            func id(_ key: String) throws -> Int32? {
                guard let v = try gguf.int(key) else { return nil }
                guard (0..<tokens.count).contains(v) else {
                    throw TokenizerError.inconsistentVocabulary("\(key) = \(v) is outside the vocabulary")
                }
                return Int32(v)
            }
            try self.init(
                tokens: tokens,
                types: rawTypes.map { TokenType(rawValue: Int32(clamping: $0)) ?? .undefined },
                bosID: id("tokenizer.ggml.bos_token_id"),
                eosID: id("tokenizer.ggml.eos_token_id"),
                padID: id("tokenizer.ggml.padding_token_id"),
                unknownID: id("tokenizer.ggml.unknown_token_id"),
                eotID: id("tokenizer.ggml.eot_token_id"),
                eomID: id("tokenizer.ggml.eom_token_id"),
                addBOS: try gguf.bool("tokenizer.ggml.add_bos_token") ?? false,
                addEOS: try gguf.bool("tokenizer.ggml.add_eos_token") ?? false,
                spelling: try gguf.string("tokenizer.ggml.model") == "llama" ? .sentencePiece : .byteLevel)
        } catch let error as TokenizerError {
            throw error
        } catch let error as GGUFError {
            throw .metadata(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Builds a table directly; tokens of normal type are spelled as `spelling` says.
    public init(
        tokens: [String], types: [TokenType], bosID: Int32? = nil, eosID: Int32? = nil, padID: Int32? = nil,
        unknownID: Int32? = nil, eotID: Int32? = nil, eomID: Int32? = nil, addBOS: Bool = false, addEOS: Bool = false,
        spelling: Spelling = .byteLevel
    ) throws(TokenizerError) {
        guard tokens.count == types.count else {
            throw .inconsistentVocabulary("\(tokens.count) tokens but \(types.count) token types")
        }
        self.tokens = tokens
        self.types = types
        self.bosID = bosID
        self.eosID = eosID
        self.padID = padID
        self.unknownID = unknownID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.spelling = spelling

        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for (text, type) in zip(tokens, types) {
            switch type {
            case .normal, .undefined:
                switch spelling {
                case .byteLevel: bytes.append(contentsOf: ByteLevelAlphabet.bytes(of: text) ?? Array(text.utf8))
                case .sentencePiece: bytes.append(contentsOf: Self.unescapingSpaces(text))
                }
            case .byte:
                bytes.append(contentsOf: Self.byteTokenValue(text).map { [$0] } ?? Array(text.utf8))
            case .control, .userDefined, .unknown:
                bytes.append(contentsOf: text.utf8)
            case .unused:
                break
            }
            offsets.append(Int32(bytes.count))
        }
        self.bytes = bytes
        self.byteOffsets = offsets

        var stops = Set([eosID, eotID, eomID].compactMap { $0 })
        // Chat-tuned models end a turn with a control token such as <|im_end|> or <|eot_id|>;
        // llama.cpp treats these as end-of-generation too.
        let endOfTurnNames: Set<String> = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>"]
        for (i, text) in tokens.enumerated() where types[i] == .control && endOfTurnNames.contains(text) {
            stops.insert(Int32(i))
        }
        self.stopIDs = stops.sorted()
    }

    /// Whether `id` is a valid token id.
    public func contains(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < tokens.count
    }

    /// The bytes token `id` contributes to output text (a control token's own text).
    public func bytes(of id: Int32) -> ArraySlice<UInt8> {
        let i = Int(id)
        return bytes[Int(byteOffsets[i])..<Int(byteOffsets[i + 1])]
    }

    /// Whether token `id` is a control token, hidden when special tokens are skipped.
    public func isSpecial(_ id: Int32) -> Bool {
        types[Int(id)] == .control
    }

    /// Whether generating `id` ends a sequence.
    public func isStop(_ id: Int32) -> Bool {
        stopIDs.contains(id)
    }

    /// A SentencePiece token's text with U+2581 turned back into spaces.
    private static func unescapingSpaces(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.first {
            if utf8.starts(with: SentencePieceEncoder.spaceMarker) {
                out.append(0x20)
                utf8 = utf8.dropFirst(3)
            } else {
                out.append(byte)
                utf8 = utf8.dropFirst()
            }
        }
        return out
    }

    /// `<0x41>` style byte tokens, as SentencePiece vocabularies write raw bytes.
    private static func byteTokenValue(_ text: String) -> UInt8? {
        guard text.hasPrefix("<0x"), text.hasSuffix(">"), text.utf8.count == 6 else { return nil }
        return UInt8(text.dropFirst(3).dropLast(), radix: 16)
    }
}
