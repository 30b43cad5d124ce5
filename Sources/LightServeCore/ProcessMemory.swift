#if canImport(Glibc)
import Glibc
#endif

/// The process's memory, as the kernel reports it in `/proc/self/status` and
/// `/proc/self/smaps_rollup`.
public enum ProcessMemory {
    /// Current resident set size in bytes (`VmRSS`), or nil where unavailable.
    public static var residentBytes: Int? { field("VmRSS:") }

    /// Peak resident set size in bytes (`VmHWM`), or nil where unavailable.
    public static var peakResidentBytes: Int? { field("VmHWM:") }

    /// Bytes held in transparent huge pages (`AnonHugePages`), or nil where unavailable: right
    /// after a model loads, how much of its packed weights got the huge pages their arena asked
    /// for.
    public static var hugePageBytes: Int? { field("AnonHugePages:", in: "/proc/self/smaps_rollup") }

    /// A `name value kB` line's value in bytes.
    private static func field(_ name: String, in path: String = "/proc/self/status") -> Int? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix(name) else { continue }
            let kilobytes = text.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
