import Testing

@testable import GGUF

@Suite struct GGUFTensorCodecTests {
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
        #expect(GGUFTensorType.bfloat16Bits(1.0) == 0x3F80)
        #expect(GGUFTensorType.bfloat16Bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(GGUFTensorType.bfloat16Bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
    }
}
