import GGUF

/// One model family: how its `{arch}.*` keys and optional tensors become a
/// ``ModelConfiguration``. The block itself is assembled from shared parts (``BlockRecipe``,
/// ``RotaryEmbedding``) and run by the shared forward pass, so a family is a small file.
///
/// What a family reads through its ``HyperParameters`` is what it declares it uses: a file with
/// `{arch}.*` keys or tensors no part of the engine read is refused (``MetadataKeyRules``), so a
/// family either computes a key's meaning, refuses the file over it by name, or leaves it unread
/// and lets the loader refuse it. Keys the family needs and llama.cpp requires are required here
/// too; optional ones take llama.cpp's documented default.
///
/// To add a family, add a file with a type conforming to this protocol next to its siblings and
/// list the type in ``ModelFamilies/all``.
public protocol ModelFamily: SendableMetatype {
    /// The `general.architecture` value this family reads.
    static var architecture: String { get }
    /// The configuration of the model in `parameters.file`, or why this engine cannot compute it
    /// right. Reads go through `parameters`, which records them.
    static func configuration(_ parameters: inout HyperParameters) throws(ExecuteError) -> ModelConfiguration
}

/// The families this engine computes.
public enum ModelFamilies {
    public static let all: [any ModelFamily.Type] = [Llama.self, Qwen2.self, Qwen3.self, Gemma3.self]

    /// The architectures of ``all``, for error messages.
    public static var architectures: [String] { all.map { $0.architecture } }

    /// The configuration of the model in `file`, read by the family its `general.architecture` names.
    public static func configuration(of file: GGUFFile) throws(ExecuteError) -> ModelConfiguration {
        try read(file).configuration
    }

    /// The configuration and the hyper-parameters as read (which keys and tensors the family took).
    static func read(_ file: GGUFFile) throws(ExecuteError) -> (configuration: ModelConfiguration, parameters: HyperParameters) {
        let architecture: String
        do { architecture = try file.requireString("general.architecture") } catch { throw .model(error) }
        guard let family = all.first(where: { $0.architecture == architecture }) else {
            throw .unsupportedArchitecture(architecture)
        }
        var parameters = HyperParameters(file: file, architecture: architecture)
        let configuration = try family.configuration(&parameters)
        try configuration.validate()
        return (configuration, parameters)
    }
}
