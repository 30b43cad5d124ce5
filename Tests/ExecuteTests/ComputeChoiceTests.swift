import Foundation
import LightServeCore
import Testing

@testable import Execute

/// How LightServe picks its kernel build and OpenBLAS's core type from the processor.
@Suite struct ComputeChoiceTests {
    static func processor(_ vendor: String, _ sets: [String]) -> ProcessorFeatures {
        ProcessorFeatures(vendor: vendor, family: 6, model: 207, instructionSets: Set(sets))
    }

    static let avx2 = ["avx2", "fma", "f16c"]
    static let avx512 = avx2 + ["avx512f", "avx512bw", "avx512vl"]

    @Test func testOpenBLASCoreTypeUsesTheWidestInstructionSetsPresent() {
        #expect(OpenBLASLibrary.coreType(for: Self.processor("GenuineIntel", Self.avx512 + ["avx512vnni", "avx512bf16"])) == "Cooperlake")
        #expect(OpenBLASLibrary.coreType(for: Self.processor("GenuineIntel", Self.avx512 + ["avx512vnni"])) == "SkylakeX")
        #expect(OpenBLASLibrary.coreType(for: Self.processor("AuthenticAMD", Self.avx512 + ["avx512bf16"])) == "Cooperlake")
        #expect(OpenBLASLibrary.coreType(for: Self.processor("GenuineIntel", Self.avx2)) == "Haswell")
        #expect(OpenBLASLibrary.coreType(for: Self.processor("AuthenticAMD", Self.avx2)) == "Zen")
        #expect(OpenBLASLibrary.coreType(for: Self.processor("GenuineIntel", ["f16c"])) == nil)
    }

    @Test func testAVX512KernelsNeedVNNIBesideTheBaseline() {
        #expect(KernelSet.best(for: Self.processor("GenuineIntel", Self.avx512 + ["avx512vnni"])) == .avx512)
        #expect(KernelSet.best(for: Self.processor("GenuineIntel", Self.avx512)) == .avx2)
        #expect(KernelSet.best(for: Self.processor("GenuineIntel", Self.avx2)) == .avx2)
        #expect(KernelSet.avx512.missing(on: Self.processor("GenuineIntel", Self.avx2)) == ["avx512f", "avx512bw", "avx512vl", "avx512vnni"])
        #expect(KernelSet.runnable.contains(.avx2))
        #expect(KernelSet.runnable.contains(KernelSet.preferred))
    }

    @Test func testDisablingAVX512HoldsTheKernelsAndOpenBLASToAVX2() {
        let all = Self.processor("GenuineIntel", Self.avx512 + ["avx512vnni", "avx512bf16"])
        let held = ProcessorFeatures(
            vendor: all.vendor, family: all.family, model: all.model,
            instructionSets: all.instructionSets.filter { !$0.hasPrefix("avx512") })
        #expect(KernelSet.best(for: held) == .avx2)
        #expect(OpenBLASLibrary.coreType(for: held) == "Haswell")
    }

    /// The failure this pins: Debian's OpenBLAS left to itself ran its generic Prescott kernels on
    /// an AVX-512 Xeon, five times slower, and said nothing.
    @Test func testOpenBLASInThisProcessRunsTheCoreChosenForThisProcessor() throws {
        let blas = try OpenBLASLibrary.load()
        if let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !user.isEmpty {
            #expect(blas.choice == .environment && blas.requested == user)
            return
        }
        let expected = try #require(OpenBLASLibrary.coreType(for: .current), "this processor has AVX2, so LightServe chooses")
        #expect(blas.choice == .lightServe)
        #expect(blas.coreName.lowercased() == expected.lowercased(), "asked for \(expected), OpenBLAS runs \(blas.coreName)")
        #expect(!blas.isGenericOnCapableProcessor)
    }

    /// Asked of a lesser processor than this one, so that every machine checks it.
    @Test func testAskingForKernelsTheProcessorLacksIsATypedError() {
        #expect(throws: ExecuteError.kernelSetUnavailable(.avx512, missing: ["avx512f", "avx512bw", "avx512vl", "avx512vnni"])) {
            _ = try ComputeRuntime(threads: 1, kernels: .avx512, processor: Self.processor("GenuineIntel", Self.avx2))
        }
        #expect(throws: ExecuteError.kernelSetUnavailable(.avx512, missing: ["avx512vnni"])) {
            _ = try ComputeRuntime(threads: 1, kernels: .avx512, processor: Self.processor("AuthenticAMD", Self.avx512))
        }
        #expect(throws: ExecuteError.unsupportedProcessor(missing: ["avx2", "fma"])) {
            _ = try ComputeRuntime(threads: 1, kernels: .avx2, processor: Self.processor("GenuineIntel", ["f16c"]))
        }
    }
}
