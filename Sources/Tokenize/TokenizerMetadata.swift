import GGUF

/// The `tokenizer.*` keys the tokenizer reads, and those it may leave unread. ``Tokenizer``
/// refuses a file with any other `tokenizer.*` key, naming it, rather than tokenizing without
/// what the key says (the model's other keys are the engine's to judge).
///
/// Fine unread: `tokenizer.chat_template` and its named variants (`tokenizer.chat_template.*`,
/// read by the server's chat setup, the variants chosen only on request), the Hugging Face
/// tokenizer JSON that llama.cpp-converted files may carry beside the `ggml` keys, the added-token
/// list (the token table already holds those tokens), and the ids of tokens with roles no
/// LightServe endpoint uses: separator, class, mask, and fill-in-the-middle markers.
public enum TokenizerMetadata {
    /// Keys both tokenizer models read.
    static let commonKeys: Set<String> = [
        "tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id",
        "tokenizer.ggml.padding_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.add_bos_token",
        "tokenizer.ggml.add_eos_token", "tokenizer.ggml.add_sep_token", "tokenizer.ggml.add_space_prefix",
    ]

    /// Keys read by the `gpt2` (byte-level BPE) and `llama` (SentencePiece) models besides the
    /// common ones. SentencePiece does not pre-tokenize: its `pre` may only say `default`.
    static func modelKeys(_ model: String) -> Set<String> {
        switch model {
        case "gpt2": ["tokenizer.ggml.merges", "tokenizer.ggml.pre"]
        case "llama": ["tokenizer.ggml.scores", "tokenizer.ggml.pre"]
        default: []
        }
    }

    /// Keys that are fine unread.
    public static let informationalKeys: Set<String> = [
        "tokenizer.chat_template", "tokenizer.huggingface.json", "tokenizer.ggml.added_tokens",
        "tokenizer.ggml.separator_token_id", "tokenizer.ggml.cls_token_id", "tokenizer.ggml.mask_token_id",
        "tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.fim_mid_token_id",
        "tokenizer.ggml.fim_pad_token_id", "tokenizer.ggml.fim_rep_token_id", "tokenizer.ggml.fim_sep_token_id",
        "tokenizer.ggml.prefix_token_id", "tokenizer.ggml.suffix_token_id", "tokenizer.ggml.middle_token_id",
    ]
    public static let informationalPrefixes = ["tokenizer.chat_template."]

    /// `tokenizer.*` keys of `file`, in file order, that the tokenizer of `model` does not read
    /// and that are not informational.
    static func unreadKeys(of file: GGUFFile, model: String) -> [String] {
        let read = commonKeys.union(modelKeys(model))
        return file.metadataKeys.filter { key in
            key.hasPrefix("tokenizer.") && !read.contains(key) && !informationalKeys.contains(key)
                && !informationalPrefixes.contains(where: { key.hasPrefix($0) })
        }
    }
}
