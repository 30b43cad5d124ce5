import GGUF

/// Which metadata keys a model file may carry beyond those the engine reads. A key outside these
/// rules that nothing read makes ``LanguageModel`` refuse the file, naming the key: the engine
/// computes what a file says, or refuses it, and never quietly ignores part of it.
///
/// - `general.*`: descriptive metadata (name, license, provenance, llama.cpp's recommended
///   sampling defaults) and the format's own keys, which the GGUF reader handles.
/// - `tokenizer.*`: the tokenizer's; it refuses its own unread keys (`Tokenizer.init(gguf:)`).
/// - `quantize.imatrix.*`: which importance matrix llama-quantize used; provenance only.
/// - `{arch}.*` keys that do not change the computation of the files the families accept:
///   `rope.scaling.finetuned` (documented as informational), `rope.scaling.original_context_length`
///   (read by YaRN only, which is refused), `tensor_data_layout` (llama.cpp reads it nowhere;
///   it records how the converter laid the tensors out).
///
/// Every other `{arch}.*` key must be one its family read; every key of another prefix is refused.
public enum MetadataKeyRules {
    /// Prefixes of keys that are fine unread.
    public static let acceptedPrefixes = ["general.", "tokenizer.", "quantize.imatrix."]
    /// `{arch}.` keys (without the prefix) that are fine unread.
    public static let informationalArchitectureKeys: Set<String> = [
        "rope.scaling.finetuned", "rope.scaling.original_context_length", "tensor_data_layout",
    ]

    /// Keys of `file` in file order that nothing read and no rule accepts.
    static func unreadKeys(of file: GGUFFile, architecture: String, read: Set<String>) -> [String] {
        let prefix = architecture + "."
        return file.metadataKeys.filter { key in
            if read.contains(key) || acceptedPrefixes.contains(where: { key.hasPrefix($0) }) { return false }
            return !(key.hasPrefix(prefix) && informationalArchitectureKeys.contains(String(key.dropFirst(prefix.count))))
        }
    }
}
