import GGUF

/// Why a tokenizer could not be built from a model file, or could not handle an input.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file lacks a key the tokenizer needs or holds it with the wrong type.
    case metadata(GGUFError)
    /// `tokenizer.ggml.model` names a tokenizer family this engine does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this engine does not implement.
    case unsupportedPreTokenizer(String)
    /// A byte-level BPE file without `tokenizer.ggml.pre`: its pre-tokenizer cannot be known.
    case missingPreTokenizer
    /// `tokenizer.*` keys the tokenizer does not read (``TokenizerMetadata``).
    case unreadMetadata([String])
    /// `key` asks for something the tokenizer does not do.
    case unsupportedSetting(key: String, String)
    /// Token tables disagree in length, or a merge names a token that is not in the vocabulary.
    case inconsistentVocabulary(String)
    /// A token id is outside the vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case .metadata(let error):
            return "tokenizer: \(error)"
        case .unsupportedModel(let name):
            return "tokenizer model '\(name)' is not supported (supported: 'gpt2' byte-level BPE, 'llama' SentencePiece)"
        case .unsupportedPreTokenizer(let name):
            return "pre-tokenizer '\(name)' is not supported (supported: \(PreTokenizer.supportedNames.joined(separator: ", ")))"
        case .missingPreTokenizer:
            return "tokenizer.ggml.pre is missing, so the byte-level BPE pre-tokenizer cannot be known (llama.cpp guesses 'default' and warns that generation quality degrades); convert the model again with a current llama.cpp"
        case .unreadMetadata(let keys):
            return "the file has tokenizer keys LightServe does not read (\(keys.prefix(5).joined(separator: ", "))\(keys.count > 5 ? ", ..." : "")); refusing rather than tokenizing without them"
        case .unsupportedSetting(let key, let why):
            return "the file sets \(key): \(why); refusing rather than tokenizing differently"
        case .inconsistentVocabulary(let detail):
            return "tokenizer vocabulary is inconsistent: \(detail)"
        case .tokenOutOfRange(let id, let size):
            return "token id \(id) is outside the vocabulary of \(size) tokens"
        }
    }
}
