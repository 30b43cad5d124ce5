import ExecuteKernels
import LightServeCore
import Foundation

/// OpenBLAS as this process runs it. OpenBLAS chooses its kernels ("core type") once, while it
/// loads, and Debian 12's 0.3.21 does not know recent Xeons: left alone it runs its generic
/// Prescott kernels there (sgemm 21 GFLOP/s per thread against 106 with Cooperlake's). So the
/// library is opened at run time (never linked) after the core type for this processor's
/// instruction sets is settled. A user's own `OPENBLAS_CORETYPE` wins.
public struct OpenBLASLibrary: Sendable, Equatable {
    /// Who chose the core type.
    public enum Choice: String, Sendable {
        /// LightServe, from the processor's instruction sets.
        case lightServe = "lightserve"
        /// The user, with `OPENBLAS_CORETYPE`.
        case environment = "OPENBLAS_CORETYPE"
        /// OpenBLAS's own detection (the processor has nothing LightServe has a core type for).
        case openBLAS = "openblas"
    }

    /// The core type put in `OPENBLAS_CORETYPE` before loading, by whoever chose it.
    public var requested: String?
    public var choice: Choice
    /// What OpenBLAS says it runs (`openblas_get_corename`).
    public var coreName: String

    /// OpenBLAS's generic kernel sets: running one of these on a processor with AVX2 wastes most of it.
    public static let genericCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "nano", "unknown"]

    /// The core type that uses what `features` has: Cooperlake's kernels with AVX-512 BF16,
    /// SkylakeX's with AVX-512 F/BW/VL, Zen's (AMD) or Haswell's with AVX2 and FMA; nil when
    /// OpenBLAS's own detection can do no worse.
    public static func coreType(for features: ProcessorFeatures) -> String? {
        let sets = features.instructionSets
        if ["avx512f", "avx512bw", "avx512vl"].allSatisfy(sets.contains) {
            return sets.contains("avx512bf16") ? "Cooperlake" : "SkylakeX"
        }
        if sets.contains("avx2") && sets.contains("fma") {
            return features.vendor == "AuthenticAMD" ? "Zen" : "Haswell"
        }
        return nil
    }

    /// OpenBLAS loaded for this process (once; every caller gets the same answer).
    public static func load() throws(ExecuteError) -> OpenBLASLibrary {
        try loaded.get()
    }

    private static let loaded: Result<OpenBLASLibrary, ExecuteError> = {
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        let ours = coreType(for: .current)
        var error = [CChar](repeating: 0, count: 256)
        let status =
            if user == nil, let ours { ls_blas_load(ours, &error, Int32(error.count)) } else { ls_blas_load(nil, &error, Int32(error.count)) }
        guard status == 0 else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(.openBLAS("\(reason); install the libopenblas0 package"))
        }
        let name = ls_blas_core_name().map { String(cString: $0) } ?? "unknown"
        if let user { return .success(OpenBLASLibrary(requested: user, choice: .environment, coreName: name)) }
        return .success(OpenBLASLibrary(requested: ours, choice: ours == nil ? .openBLAS : .lightServe, coreName: name))
    }()

    /// Whether OpenBLAS ended up on a generic kernel set although the processor has AVX2.
    public var isGenericOnCapableProcessor: Bool {
        Self.genericCores.contains(coreName.lowercased()) && ProcessorFeatures.current.instructionSets.contains("avx2")
    }

    /// For logs: `SkylakeX (chosen by LightServe)`.
    public var summary: String {
        switch choice {
        case .lightServe: "\(coreName) (chosen by LightServe)"
        case .environment: "\(coreName) (OPENBLAS_CORETYPE=\(requested ?? ""))"
        case .openBLAS: "\(coreName) (OpenBLAS's own detection)"
        }
    }
}

extension ComputeReport {
    /// This process's processor and OpenBLAS, with LightServe's kernels in build `kernels`.
    public static func current(kernels: KernelSet = .preferred) throws(ExecuteError) -> ComputeReport {
        let blas = try OpenBLASLibrary.load()
        return ComputeReport(
            processor: ProcessorFeatures.current.summary, kernels: kernels.rawValue, openBLASCore: blas.coreName,
            openBLASChoice: blas.choice.rawValue)
    }
}
