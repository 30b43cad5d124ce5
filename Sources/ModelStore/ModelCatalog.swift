/// The models LightServe can fetch by name, read from `models.tsv` (this module's copy of the
/// table `scripts/fetch-model` reads, compiled into the binary).
public struct ModelCatalog: Sendable, Equatable {
    /// Entries in file order.
    public let entries: [CatalogEntry]
    /// The model served when none is named.
    public let defaultName: String

    /// The catalog compiled into this binary.
    public static let builtIn: ModelCatalog = {
        do {
            return try ModelCatalog(parsing: String(decoding: PackageResources.models_tsv, as: UTF8.self))
        } catch {
            preconditionFailure("Sources/ModelStore/models.tsv is malformed: \(error)")
        }
    }()

    /// The entry called `name`.
    public func entry(named name: String) -> CatalogEntry? {
        entries.first { $0.name == name }
    }

    /// The default entry.
    public var defaultEntry: CatalogEntry {
        guard let entry = entry(named: defaultName) else { preconditionFailure("the catalog's default is checked when parsed") }
        return entry
    }

    public var names: [String] { entries.map(\.name) }

    /// Parses the table format described at the top of `models.tsv`, checking every line.
    public init(parsing text: String) throws(ModelStoreError) {
        var entries: [CatalogEntry] = []
        var defaultName: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            func fail(_ why: String) -> ModelStoreError { .malformedCatalog(line: line, why) }
            let fields = rawLine.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let kind = fields.first, !kind.hasPrefix("#") else { continue }
            switch kind {
            case "default":
                guard fields.count == 2, defaultName == nil else { throw fail("expected one `default NAME` line") }
                defaultName = fields[1]
            case "model":
                guard fields.count >= 6 else { throw fail("expected `model NAME FILE BYTES SHA256 DESCRIPTION...`") }
                guard let bytes = Int(fields[3]), bytes > 0 else { throw fail("size '\(fields[3])' is not a positive number") }
                let digest = fields[4]
                guard digest.utf8.count == 64, digest.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                    throw fail("'\(digest)' is not a sha256 in lowercase hex")
                }
                guard !entries.contains(where: { $0.name == fields[1] }) else { throw fail("model '\(fields[1])' appears twice") }
                guard !fields[2].contains("/") else { throw fail("file name '\(fields[2])' must not contain '/'") }
                entries.append(
                    CatalogEntry(
                        name: fields[1], fileName: fields[2], byteCount: bytes, sha256: digest,
                        summary: fields[5...].joined(separator: " "), parts: []))
            case "part":
                guard fields.count == 4 else { throw fail("expected `part NAME PACKAGE==VERSION MEMBER`") }
                guard let i = entries.firstIndex(where: { $0.name == fields[1] }) else {
                    throw fail("part of '\(fields[1])' before its `model` line")
                }
                let requirement = fields[2].split(separator: "=", omittingEmptySubsequences: false)
                guard requirement.count == 3, requirement[1].isEmpty, !requirement[0].isEmpty, !requirement[2].isEmpty else {
                    throw fail("'\(fields[2])' is not PACKAGE==VERSION")
                }
                entries[i].parts.append(
                    CatalogEntry.Part(package: String(requirement[0]), version: String(requirement[2]), member: fields[3]))
            default:
                throw fail("unknown line kind '\(kind)'")
            }
        }
        if let empty = entries.first(where: { $0.parts.isEmpty }) {
            throw .malformedCatalog(line: 0, "model '\(empty.name)' has no parts")
        }
        guard let defaultName, entries.contains(where: { $0.name == defaultName }) else {
            throw .malformedCatalog(line: 0, "the `default` line is missing or names no model")
        }
        self.entries = entries
        self.defaultName = defaultName
    }
}
