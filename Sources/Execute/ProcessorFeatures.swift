import CPUFeatures
import Foundation

/// The processor LightServe runs on and the instruction sets its kernels may use, read once at
/// start with cpuid (counting a set only when the operating system saves its registers).
public struct ProcessorFeatures: Sendable, Equatable {
    public var vendor: String
    public var family: Int
    public var model: Int
    /// Instruction sets present, by their usual lower-case names (`avx2`, `avx512vnni`, ...).
    public var instructionSets: Set<String>

    /// What every kernel needs: the build targets this baseline, never the build machine.
    public static let baseline = ["avx2", "fma", "f16c"]

    /// Names instruction sets to treat as absent, comma-separated (`avx512` stands for every
    /// AVX-512 set), so that one machine can run, and test, the paths of a lesser one.
    public static let disableVariable = "LIGHTSERVE_DISABLE_CPU_FEATURES"

    /// This processor, less what ``disableVariable`` turns off.
    public static let current = ProcessorFeatures.detect(disabling: ProcessInfo.processInfo.environment[disableVariable] ?? "")

    /// Baseline instruction sets this processor lacks; empty when the kernels can run.
    public var missingBaseline: [String] { Self.baseline.filter { !instructionSets.contains($0) } }

    /// Reads the processor, then drops the comma-separated names in `disabled`.
    public static func detect(disabling disabled: String) -> ProcessorFeatures {
        var info = ls_cpu_info()
        ls_cpu_detect(&info)
        let vendor = withUnsafeBytes(of: info.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let flags: [(String, Int32)] = [
            ("avx2", info.avx2), ("fma", info.fma), ("f16c", info.f16c), ("avx512f", info.avx512f),
            ("avx512bw", info.avx512bw), ("avx512vl", info.avx512vl), ("avx512vnni", info.avx512vnni),
            ("avx512bf16", info.avx512bf16), ("avx512fp16", info.avx512fp16),
        ]
        var sets = Set(flags.filter { $0.1 != 0 }.map(\.0))
        for name in disabled.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            sets = sets.filter { !($0 == name || (name == "avx512" && $0.hasPrefix("avx512"))) }
        }
        return ProcessorFeatures(vendor: vendor, family: Int(info.family), model: Int(info.model), instructionSets: sets)
    }

    /// A line for the start-up log: vendor, family/model and the sets the kernels care about.
    public var summary: String {
        let order = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512vnni", "avx512bf16", "avx512fp16"]
        return "\(vendor) family \(family) model \(model): " + order.filter(instructionSets.contains).joined(separator: " ")
    }
}
