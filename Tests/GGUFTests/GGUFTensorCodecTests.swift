import Testing

@testable import GGUF

@Suite struct GGUFTensorCodecTests {
    static let ramp: [Float] = (0..<64).map { Float($0) * 0.37 - 9.1 }

    @Test(arguments: GGUFTensorType.allCases)
    func testEncodeThenDecodeStaysWithinOneQuantizationStep(type: GGUFTensorType) {
        let bytes = type.encode(Self.ramp)
        #expect(bytes.count == type.byteCount(elements: 64))
        let decoded = bytes.withUnsafeBytes { type.decode($0, count: 64) }
        let range = (Self.ramp.max()! - Self.ramp.min()!)
        let tolerance: Float =
            switch type {
            case .f32: 0
            case .f16: 0.01
            case .bf16: 0.05
            case .q8_0: range / 254
            case .q4_0, .q4_1: range / 15
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
