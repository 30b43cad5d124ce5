/// What the engine computes with, as `/debug/stages` and the benchmarks report it: the
/// processor, the build of LightServe's kernels in use, and OpenBLAS's kernel set and who chose it.
public struct ComputeReport: Sendable, Equatable {
    /// Vendor, family/model and the instruction sets the kernels care about.
    public var processor: String
    /// `avx2` or `avx512`.
    public var kernels: String
    /// What OpenBLAS says it runs (`Haswell`, `SkylakeX`, `Cooperlake`, `Zen`, ...).
    public var openBLASCore: String
    /// Who chose it: `lightserve`, `OPENBLAS_CORETYPE` (the user) or `openblas` (its own detection).
    public var openBLASChoice: String

    public init(processor: String, kernels: String, openBLASCore: String, openBLASChoice: String) {
        self.processor = processor
        self.kernels = kernels
        self.openBLASCore = openBLASCore
        self.openBLASChoice = openBLASChoice
    }
}
