import Foundation
import TestSupport
import Testing

@testable import GGUF

/// The reference decoders of the K-quants, Q5 and IQ4 types against `gguf.quants.dequantize` (fixture
/// written by Tests/Fixtures/make_quant_fixtures.py), and the encoders against the decoders.
@Suite struct KQuantCodecTests {
    struct Case: Decodable {
        let code: UInt32
        let count: Int
        let bytes: String
        let bits: [UInt32]

        var data: [UInt8] {
            var out: [UInt8] = []
            var index = bytes.startIndex
            while index < bytes.endIndex {
                let next = bytes.index(index, offsetBy: 2)
                out.append(UInt8(bytes[index..<next], radix: 16)!)
                index = next
            }
            return out
        }
    }

    static let types: [GGUFTensorType] = [.q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_NL, .iq4_XS]

    @Test(arguments: types)
    func testDecodeMatchesGGUFPackageBitForBit(_ type: GGUFTensorType) throws {
        let cases: [String: Case] = try TestPaths.loadFixture("quant_dequantize.json")
        let fixture = try #require(cases[type.description])
        #expect(fixture.code == type.rawValue)
        let data = fixture.data
        #expect(data.count == type.byteCount(elements: fixture.count))
        let decoded = data.withUnsafeBytes { type.decode($0, count: fixture.count) }
        let mismatches = zip(decoded, fixture.bits).filter { $0.bitPattern != $1 }.count
        #expect(mismatches == 0, "\(type): \(mismatches) of \(fixture.count) values differ")
    }

    /// Smooth data of one sign and of both, with outliers: each K type's scales and minimums.
    @Test(arguments: types)
    func testEncodeKeepsRootMeanSquareErrorWithinTypeBudget(_ type: GGUFTensorType) {
        var state: UInt64 = 99
        let values: [Float] = (0..<1024).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Float(Int64(bitPattern: state >> 11) % 1_000_000) / 1_000_000
            return i < 512 ? noise : abs(noise) * (i % 97 == 0 ? 4 : 1)
        }
        let decoded = type.encode(values).withUnsafeBytes { type.decode($0, count: values.count) }
        let rms = (zip(decoded, values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(values.count)).squareRoot()
        // Uniform noise of amplitude 1 (outliers 4): RMS error of a b-bit grid is about step/√12.
        let budget: Float =
            switch type {
            case .q6_K: 0.02
            case .q5_0, .q5_1, .q5_K: 0.035
            case .q4_K, .iq4_NL, .iq4_XS: 0.07
            case .q3_K: 0.15
            default: 0.3
            }
        #expect(rms < budget, "\(type): RMS error \(rms)")
    }
}
