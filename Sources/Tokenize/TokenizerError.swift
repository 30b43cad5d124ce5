import GGUF

/// Why a tokenizer could not be built from a model file, or could not handle an input.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file lacks a key the tokenizer needs or holds it with the wrong type.
    case metadata(GGUFError)
    /// `tokenizer.ggml.model` names a tokenizer family this engine does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this engine does not implement.
    case unsupportedPreTokenizer(String)
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
        case .inconsistentVocabulary(let detail):
            return "tokenizer vocabulary is inconsistent: \(detail)"
        case .tokenOutOfRange(let id, let size):
            return "token id \(id) is outside the vocabulary of \(size) tokens"
        }
    }
}
