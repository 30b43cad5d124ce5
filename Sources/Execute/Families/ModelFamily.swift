import GGUF

/// One model family: how its `{arch}.*` keys and optional tensors become a
/// ``ModelConfiguration``. The block itself is assembled from shared parts (``BlockRecipe``,
/// ``RotaryEmbedding``) and run by the shared forward pass, so a family is a small file.
///
/// To add a family, add a file with a type conforming to this protocol next to its siblings and
/// list the type in ``ModelFamilies/all``.
public protocol ModelFamily: SendableMetatype {
    /// The `general.architecture` value this family reads.
    static var architecture: String { get }
    /// The configuration of the model in `file`, or why this engine cannot compute it right.
    static func configuration(_ parameters: HyperParameters) throws(ExecuteError) -> ModelConfiguration
}

/// The families this engine computes.
public enum ModelFamilies {
    public static let all: [any ModelFamily.Type] = [Llama.self, Qwen2.self, Qwen3.self, Gemma3.self]

    /// The architectures of ``all``, for error messages.
    public static var architectures: [String] { all.map { $0.architecture } }

    /// The configuration of the model in `file`, read by the family its `general.architecture` names.
    public static func configuration(of file: GGUFFile) throws(ExecuteError) -> ModelConfiguration {
        let architecture: String
        do { architecture = try file.requireString("general.architecture") } catch { throw .model(error) }
        guard let family = all.first(where: { $0.architecture == architecture }) else {
            throw .unsupportedArchitecture(architecture)
        }
        let configuration = try family.configuration(HyperParameters(file: file, architecture: architecture))
        try configuration.validate()
        return configuration
    }
}
