import Foundation
import Ingress
import LightServeCore
import TestSupport
import Testing

extension EndpointTests {
    /// The binary picks OpenBLAS's core type and its own kernel build from the processor, and
    /// says what it picked; a user's `OPENBLAS_CORETYPE` and the AVX-512 switch override it.
    @Suite struct ComputeSelection {
        /// Runs `lightserve generate --json` with `environment` on top of this process's (less any
        /// OPENBLAS_CORETYPE) and returns its JSON line.
        func generate(_ environment: [String: String]) throws -> JSON {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestServer.binary)
            process.arguments = ["generate", "--model", try TestModel.path(), "--json", "--max-new-tokens", "4", "--ignore-eos",
                                 String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 6)]
            var inherited = ProcessInfo.processInfo.environment
            inherited["OPENBLAS_CORETYPE"] = nil
            process.environment = inherited.merging(environment) { $1 }
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(message)")
            return try JSON.parse(Array(data))
        }

        @Test func testWithoutSettingsOpenBLASRunsTheCoreLightServeChoseNeverAGenericOne() throws {
            let json = try generate([:])
            #expect(json["openblas_core_chosen_by"]?.string == "lightserve")
            let core = try #require(json["openblas_core"]?.string).lowercased()
            #expect(!["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown"].contains(core), "\(core)")
            #expect(json["ids"]?.array?.count == 4)
        }

        @Test func testUsersOpenBLASCoreTypeAndTheAVX512SwitchWin() throws {
            let json = try generate(["OPENBLAS_CORETYPE": "Sandybridge", "LIGHTSERVE_DISABLE_CPU_FEATURES": "avx512"])
            #expect(json["openblas_core_chosen_by"]?.string == "OPENBLAS_CORETYPE")
            #expect(json["openblas_core"]?.string == "Sandybridge")
            #expect(json["lightserve_kernels"]?.string == "avx2")
            #expect(json["ids"]?.array?.count == 4)
        }
    }
}
