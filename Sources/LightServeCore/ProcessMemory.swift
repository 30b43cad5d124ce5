#if canImport(Glibc)
import Glibc
#endif

/// The process's resident memory, as the kernel reports it in `/proc/self/status`.
public enum ProcessMemory {
    /// Current resident set size in bytes (`VmRSS`), or nil where unavailable.
    public static var residentBytes: Int? { field("VmRSS:") }

    /// Peak resident set size in bytes (`VmHWM`), or nil where unavailable.
    public static var peakResidentBytes: Int? { field("VmHWM:") }

    private static func field(_ name: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
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
