import Foundation
import Testing
import TestSupport

@testable import Execute

/// Where a model's packed weights live: memory aligned to huge pages and advised for them.
@Suite struct HugePageArenaTests {
    @Test func allocationsAreAlignedZeroedAndApart() throws {
        let arena = HugePageArena()
        let sizes = [1, 100, 3 << 20, 70 << 20, 64]
        let blocks = try sizes.map { size in
            let memory = try #require(arena.allocate(byteCount: size))
            #expect(Int(bitPattern: memory) % 64 == 0)
            let bytes = UnsafeMutableRawBufferPointer(start: memory, count: size)
            #expect(bytes.allSatisfy { $0 == 0 })
            bytes.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: size))
            return (memory, size)
        }
        for (memory, size) in blocks {
            let bytes = UnsafeRawBufferPointer(start: memory, count: size)
            #expect(bytes.allSatisfy { $0 == UInt8(truncatingIfNeeded: size) }, "a later allocation overlapped \(size) bytes")
        }
        withExtendedLifetime(arena) {}
    }

    @Test func aModelCountsTheBytesOfItsPackedCopies() throws {
        let model = try LanguageModel(path: try TestModel.path())
        let matrices = model.layers.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.gate, $0.up, $0.down] }
            + [model.output]
        let packed = matrices.filter { $0.packed != nil }
        #expect(!packed.isEmpty)
        let expected = packed.reduce(0) { $0 + ($1.rows * $1.rowBytes + 63) / 64 * 64 }
        #expect(model.packedWeightBytes == expected)
    }

    #if os(Linux)
    /// Whether this kernel has transparent huge pages at all (without them `MADV_HUGEPAGE` is
    /// refused and the arena's memory is ordinary pages).
    static let kernelHasHugePages = FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled")

    /// The kernel's `VmFlags` carry `hg` for a mapping advised `MADV_HUGEPAGE`: whether huge pages
    /// are then granted depends on the machine's free memory, so the benchmark reports those.
    @Test(.enabled(if: kernelHasHugePages)) func packedWeightsLieInMappingsAdvisedForHugePages() throws {
        let model = try LanguageModel(path: try TestModel.path())
        let matrices = [model.output, model.layers[0].gate, model.layers[0].down]
        for matrix in matrices {
            #expect(matrix.packed != nil, "\(matrix.name) was not packed")
            let address = Int(bitPattern: matrix.base)
            let mapping = try #require(try Self.mapping(containing: address), "\(matrix.name) at \(String(address, radix: 16)) lies in no mapping")
            #expect(mapping.start % HugePageArena.hugePageBytes == 0, "\(matrix.name)'s mapping is not aligned to a huge page")
            #expect(mapping.flags.contains("hg"), "\(matrix.name)'s mapping is not advised for huge pages: \(mapping.flags)")
        }
    }

    /// The `/proc/self/smaps` entry whose range holds `address`: its start and `VmFlags`.
    static func mapping(containing address: Int) throws -> (start: Int, flags: [String])? {
        // Read to the end: Foundation's whole-file readers stop after procfs's first page.
        let file = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        let smaps = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
        var current: Int?
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
                let start = Int(line[..<dash], radix: 16),
                let end = Int(line[line.index(after: dash)..<space], radix: 16)
            {
                current = (start..<end).contains(address) ? start : nil
            } else if let start = current, line.hasPrefix("VmFlags:") {
                return (start, line.dropFirst("VmFlags:".count).split(separator: " ").map(String.init))
            }
        }
        return nil
    }
    #endif
}
