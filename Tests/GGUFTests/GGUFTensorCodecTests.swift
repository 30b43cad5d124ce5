import Foundation
import TestSupport
import Testing

@testable import GGUF

/// Each type's reference codec: round trips, layouts, the decoders against
/// `gguf.quants.dequantize` (fixture written by Tests/Fixtures/make_quant_fixtures.py) and the
/// encoders against the decoders.
@Suite struct GGUFTensorCodecTests {
    static let quantized = GGUFTensorType.allCases.filter { $0.blockSize > 1 }

    /// 256 values (one K-quant super-block) whose every 32-block spans 11.8.
    static let ramp: [Float] = (0..<256).map { Float($0 % 32) * 0.37 - 5.9 + Float($0 / 32) * 0.11 }

    @Test(arguments: GGUFTensorType.allCases)
    func testEncodeThenDecodeStaysWithinOneQuantizationStep(type: GGUFTensorType) {
        let bytes = type.encode(Self.ramp)
        #expect(bytes.count == type.byteCount(elements: 256))
        let decoded = bytes.withUnsafeBytes { type.decode($0, count: 256) }
        let range: Float = 0.37 * 31 + 0.11 * 7  // of the whole ramp; each 32-block spans 0.37 · 31
        let tolerance: Float =
            switch type {
            case .f32: 0
            case .f16: 0.01
            case .bf16: 0.05
            case .q8_0: range / 254
            case .q6_K: range / 63
            case .q5_0, .q5_1, .q5_K: range / 31
            case .q4_0, .q4_1, .q4_K, .iq4_NL, .iq4_XS: range / 15
            case .q3_K: range / 7
            case .q2_K: range / 3
            default: 0  // a type added to GGUFTensorType fails here until given its step
            }
        for (a, b) in zip(decoded, Self.ramp) {
            #expect(abs(a - b) <= tolerance, "\(type): \(a) vs \(b)")
        }
    }

    @Test func testQ4_1LayoutPutsHighNibblesInSecondHalf() {
        // d = 0.5, m = -1; byte j holds element j (low) and element j + 16 (high).
        var block: [UInt8] = []
        block.append(littleEndian: Float16(0.5).bitPattern)
        block.append(littleEndian: Float16(-1).bitPattern)
        for j in 0..<16 { block.append(UInt8(j) | UInt8(15 - j) << 4) }
        let values = block.withUnsafeBytes { GGUFTensorType.q4_1.decode($0, count: 32) }
        #expect(values[0] == -1)
        #expect(values[3] == 0.5)
        #expect(values[16] == 6.5)
        #expect(values[31] == -1)
    }

    @Test func testBFloat16RoundsToNearestEven() {
        #expect(BF16.bits(1.0) == 0x3F80)
        #expect(BF16.bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(BF16.bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
    }

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

    @Test(arguments: quantized)
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

    /// Smooth data of one sign and of both, with outliers: each type's scales and minimums.
    @Test(arguments: quantized)
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
            case .q8_0: 0.01
            case .q6_K: 0.02
            case .q5_0, .q5_1, .q5_K: 0.035
            case .q4_0, .q4_1, .q4_K, .iq4_NL, .iq4_XS: 0.07
            case .q3_K: 0.15
            default: 0.3
            }
        #expect(rms < budget, "\(type): RMS error \(rms)")
    }
}
