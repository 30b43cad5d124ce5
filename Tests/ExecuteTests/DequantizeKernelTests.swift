import Execute
import ExecuteKernels
import Foundation
import GGUF
import TestSupport
import Testing

/// `ls_dequantize` (the tile path of many-row products) against `gguf.quants.dequantize`, bit for
/// bit, on the fixture Tests/Fixtures/make_quant_fixtures.py wrote, in every kernel build this
/// processor runs.
@Suite struct DequantizeKernelTests {
    struct Case: Decodable {
        let code: UInt32
        let count: Int
        let bytes: String
        let bits: [UInt32]
    }

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    @Test(arguments: GGUFTensorType.allCases.filter { $0.blockSize > 1 }, KernelSet.runnable)
    func testKernelDequantizationMatchesGGUFPackageBitForBit(_ type: GGUFTensorType, kernels: KernelSet) throws {
        let cases: [String: Case] = try TestPaths.loadFixture("quant_dequantize.json")
        let fixture = try #require(cases[type.description])
        let data = Self.bytes(fixture.bytes)
        var out = [Float](repeating: .nan, count: fixture.count)
        data.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { ls_dequantize_using(kernels.code, Int32(type.rawValue), src.baseAddress, $0.baseAddress, Int32(fixture.count)) }
        }
        let mismatches = zip(out, fixture.bits).filter { $0.bitPattern != $1 }.count
        #expect(mismatches == 0, "\(type) (\(kernels)): \(mismatches) of \(fixture.count) values differ")
    }

    /// A type's geometry is written twice, in its C file and its Swift file: they must agree, and
    /// every quantized type the files may hold must have kernels.
    @Test(arguments: GGUFTensorType.allCases.filter { $0.blockSize > 1 })
    func testKernelsKnowEveryQuantizedTypeWithItsBlockGeometry(_ type: GGUFTensorType) {
        var values: Int32 = 0, bytes: Int32 = 0
        #expect(ls_block_geometry(Int32(type.rawValue), &values, &bytes) == 0, "no kernels for \(type)")
        #expect(Int(values) == type.blockSize && Int(bytes) == type.bytesPerBlock, "\(type): C says \(values) values in \(bytes) bytes")
    }

    @Test func testFloatTypesHaveNoBlockGeometry() {
        var values: Int32 = 0, bytes: Int32 = 0
        for type in GGUFTensorType.allCases where type.blockSize == 1 {
            #expect(ls_block_geometry(Int32(type.rawValue), &values, &bytes) == -1, "\(type)")
        }
    }
}
