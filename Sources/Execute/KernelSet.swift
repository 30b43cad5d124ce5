import ExecuteKernels

/// Which build of the numeric kernels a ``ComputeRuntime`` runs. The quantized products, their
/// dequantizers and attention are compiled twice from one source: for the AVX2 + FMA + F16C
/// baseline and for AVX-512 with VNNI (see `Sources/ExecuteKernels/AVX512`). One binary picks
/// at run time, so it runs on every machine and uses the better one it finds.
public enum KernelSet: String, Sendable, CaseIterable, Comparable {
    case avx2
    case avx512

    /// Instruction sets each build needs beyond the baseline.
    public var requirements: [String] {
        switch self {
        case .avx2: ProcessorFeatures.baseline
        case .avx512: ProcessorFeatures.baseline + ["avx512f", "avx512bw", "avx512vl", "avx512vnni"]
        }
    }

    /// What `features` lacks to run this build; empty when it can.
    public func missing(on features: ProcessorFeatures) -> [String] {
        requirements.filter { !features.instructionSets.contains($0) }
    }

    /// The fastest build `features` can run (the baseline when it can run none better).
    public static func best(for features: ProcessorFeatures) -> KernelSet {
        allCases.reversed().first { $0.missing(on: features).isEmpty } ?? .avx2
    }

    /// The build this process uses unless told otherwise: the best for ``ProcessorFeatures/current``,
    /// so `LIGHTSERVE_DISABLE_CPU_FEATURES=avx512` holds it to the baseline.
    public static let preferred = best(for: .current)

    /// Every build this processor can run (what the tests cover on it).
    public static var runnable: [KernelSet] { allCases.filter { $0.missing(on: .current).isEmpty } }

    /// The `LS_KERNELS_*` value `ls_runtime_create` takes.
    public var code: Int32 {
        switch self {
        case .avx2: Int32(LS_KERNELS_AVX2)
        case .avx512: Int32(LS_KERNELS_AVX512)
        }
    }

    public static func < (a: KernelSet, b: KernelSet) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
