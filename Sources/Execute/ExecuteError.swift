import GGUF

/// Why a model could not be loaded or a batch could not be run.
public enum ExecuteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The model file is unreadable or lacks what the architecture needs.
    case model(GGUFError)
    /// `general.architecture` is not one this engine implements.
    case unsupportedArchitecture(String)
    /// The file asks for a rope scaling type the engine does not implement (computing the model
    /// without it would give wrong logits).
    case unsupportedRopeScaling(String)
    /// The file has tensors the model's family does not use; computing without them would give
    /// wrong logits.
    case unusedTensors(architecture: String, names: [String])
    /// The file has metadata keys no part of the engine reads (``MetadataKeyRules``); computing
    /// without them could give wrong logits.
    case unreadMetadata(architecture: String, keys: [String])
    /// The file asks, by `key`, for something the engine does not compute.
    case unsupportedFeature(key: String, String)
    /// Hyper-parameters that cannot describe a working model (say, heads that do not divide the
    /// embedding, or a head size the kernels cannot handle).
    case invalidHyperParameters(String)
    /// A weight has a shape that does not match the hyper-parameters.
    case weightShapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// A batch refers to a KV slot, position or token outside the cache or vocabulary.
    case invalidBatch(String)
    /// `/get_score` was asked of a model without a reward head.
    case noRewardHead
    /// The processor lacks instruction sets every kernel needs.
    case unsupportedProcessor(missing: [String])
    /// A kernel set was asked for that this processor cannot run.
    case kernelSetUnavailable(KernelSet, missing: [String])
    /// OpenBLAS could not be loaded.
    case openBLAS(String)
    /// The compute threads could not be started.
    case computeThreads(String)
    /// The kernels could not get the working memory a step needs.
    case outOfMemory(String)
    /// The draft model's vocabulary is not the model's (speculative decoding needs the same
    /// token ids): the first difference.
    case draftVocabularyMismatch(String)

    public var description: String {
        switch self {
        case .model(let error): "model: \(error)"
        case .unsupportedArchitecture(let a):
            "architecture '\(a)' is not supported (supported: \(ModelFamilies.architectures.joined(separator: ", ")))"
        case .unsupportedRopeScaling(let type):
            "rope scaling '\(type)' is not supported (only linear scaling is); refusing rather than computing the model wrongly"
        case .unusedTensors(let architecture, let names):
            "the file has tensors a '\(architecture)' model does not use (\(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", ..." : "")); refusing rather than computing the model wrongly"
        case .unreadMetadata(let architecture, let keys):
            "the file has metadata keys LightServe does not read for a '\(architecture)' model (\(keys.prefix(5).joined(separator: ", "))\(keys.count > 5 ? ", ..." : "")); refusing rather than computing the model without them"
        case .unsupportedFeature(let key, let why):
            "the file sets \(key): \(why); refusing rather than computing the model without it"
        case .invalidHyperParameters(let why): "invalid hyper-parameters: \(why)"
        case .weightShapeMismatch(let name, let expected, let found):
            "tensor '\(name)' has shape \(found), expected \(expected)"
        case .invalidBatch(let why): "invalid batch: \(why)"
        case .noRewardHead: "this model has no reward head (cls.output.weight), so it cannot score"
        case .unsupportedProcessor(let missing):
            "this processor lacks \(missing.joined(separator: ", ")); LightServe's kernels need \(ProcessorFeatures.baseline.joined(separator: ", ")) (x86-64-v3)"
        case .kernelSetUnavailable(let set, let missing):
            "the \(set.rawValue) kernels need \(missing.joined(separator: ", ")), which this processor lacks (or LIGHTSERVE_DISABLE_CPU_FEATURES turns off)"
        case .openBLAS(let why): "OpenBLAS: \(why)"
        case .computeThreads(let why): "could not start the compute threads: \(why)"
        case .outOfMemory(let why): "out of memory: \(why)"
        case .draftVocabularyMismatch(let difference):
            "the draft model cannot draft for this model: their vocabularies differ (\(difference)); use a draft model of the same family and tokenizer"
        }
    }
}
