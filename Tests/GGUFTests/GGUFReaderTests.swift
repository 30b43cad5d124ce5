import Foundation
import TestSupport
import Testing

@testable import GGUF

@Suite struct GGUFReaderTests {
    static func write(_ bytes: [UInt8]) throws -> String {
        let path = TestPaths.temporaryFile()
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func sampleWriter(version: UInt32 = 3) -> GGUFWriter {
        var w = GGUFWriter(version: version)
        w.set("general.architecture", .string("llama"))
        w.set("u8", .uint8(200))
        w.set("i8", .int8(-5))
        w.set("u16", .uint16(65000))
        w.set("i16", .int16(-3000))
        w.set("u32", .uint32(4_000_000_000))
        w.set("i32", .int32(-2_000_000_000))
        w.set("f32", .float32(1.5))
        w.set("bool", .bool(true))
        w.set("u64", .uint64(1 << 40))
        w.set("i64", .int64(-(1 << 40)))
        w.set("f64", .float64(-0.25))
        w.set("strings", .array(.string, [.string("a"), .string("ünï"), .string("")]))
        w.set("nested", .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [])]))
        w.addTensor("weights", type: .f32, shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        w.addTensor("half", type: .f16, shape: [3], values: [0.5, -1, 2])
        return w
    }

    @Test(arguments: [UInt32(2), 3])
    func testEveryMetadataTypeRoundTrips(version: UInt32) throws {
        let writer = Self.sampleWriter(version: version)
        let file = try GGUFFile(path: Self.write(writer.serialized()))
        #expect(file.version == version)
        #expect(file.metadataKeys == writer.metadata.map(\.key))
        for (key, value) in writer.metadata {
            #expect(file.metadata[key] == value, "\(key)")
        }
        #expect(try file.requireInt("u32") == 4_000_000_000)
        #expect(try file.requireDouble("f32") == 1.5)
        #expect(try file.requireStringArray("strings") == ["a", "ünï", ""])
    }

    @Test func testTensorDataIsMappedAtAlignedOffsets() throws {
        var writer = Self.sampleWriter()
        writer.set("general.alignment", .uint32(64))
        let file = try GGUFFile(path: Self.write(writer.serialized()))
        #expect(file.alignment == 64)
        let weights = try file.requireTensor("weights")
        #expect(weights.shape == [4, 2])
        #expect(weights.rowLength == 4 && weights.rowCount == 2)
        #expect(weights.fileOffset % 64 == 0)
        #expect(GGUFTensorType.f32.decode(file.bytes(of: weights), count: 8) == [1, 2, 3, 4, 5, 6, 7, 8])
        let half = try file.requireTensor("half")
        #expect(half.fileOffset % 64 == 0)
        #expect(GGUFTensorType.f16.decode(file.bytes(of: half), count: 3) == [0.5, -1, 2])
    }

    @Test func testWrongMagicIsRejected() throws {
        var bytes = Self.sampleWriter().serialized()
        bytes[0] = UInt8(ascii: "X")
        #expect(throws: GGUFError.badMagic(found: 0x4655_4758)) { try GGUFFile(path: Self.write(bytes)) }
    }

    @Test func testVersionOneIsRejected() throws {
        let bytes = Self.sampleWriter(version: 1).serialized()
        #expect(throws: GGUFError.unsupportedVersion(1)) { try GGUFFile(path: Self.write(bytes)) }
    }

    @Test func testEmptyFileIsTruncated() throws {
        #expect(throws: GGUFError.truncated(offset: 0, reading: "the magic number")) {
            try GGUFFile(path: Self.write([]))
        }
    }

    @Test func testEveryTruncationGivesATypedError() throws {
        let bytes = Self.sampleWriter().serialized()
        // Cut the file at every length short of complete: the reader must throw, never crash.
        for length in stride(from: 0, to: bytes.count, by: 1) {
            let path = try Self.write(Array(bytes[..<length]))
            do {
                _ = try GGUFFile(path: path)
                Issue.record("a file cut to \(length) of \(bytes.count) bytes was accepted")
            } catch {
                switch error {
                case .truncated, .tensorOutOfBounds: break
                default: Issue.record("cut to \(length): unexpected \(error)")
                }
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    @Test func testTruncationInsideAStringNamesTheKey() throws {
        var w = GGUFWriter()
        w.set("general.name", .string("a long enough model name"))
        let bytes = w.serialized()
        #expect(throws: GGUFError.truncated(offset: bytes.count - 5, reading: "the value of 'general.name'")) {
            try GGUFFile(path: Self.write(Array(bytes.dropLast(5))))
        }
    }

    @Test func testUnknownTensorTypeIsRejected() throws {
        var w = GGUFWriter()
        w.addTensor("odd", type: .f32, shape: [2], values: [1, 2])
        var bytes = w.serialized()
        // The type code sits after the name, the dimension count and one dimension.
        let typeOffset = 24 + 8 + 3 + 4 + 8
        bytes[typeOffset] = 99
        #expect(throws: GGUFError.unknownTensorType(tensor: "odd", code: 99)) { try GGUFFile(path: Self.write(bytes)) }
    }

    @Test func testStillUnsupportedTypeIsRejectedNamingTensorAndType() throws {
        var w = GGUFWriter()
        w.addTensor("blk.0.attn_q.weight", type: .f32, shape: [2], values: [1, 2])
        var bytes = w.serialized()
        let typeOffset = 24 + 8 + 19 + 4 + 8
        bytes[typeOffset] = 16  // IQ2_XXS
        let error = GGUFError.unknownTensorType(tensor: "blk.0.attn_q.weight", code: 16)
        #expect(throws: error) { try GGUFFile(path: Self.write(bytes)) }
        #expect(error.description.contains("'blk.0.attn_q.weight'") && error.description.contains("IQ2_XXS"))
    }

    @Test func testTensorPastEndOfFileIsRejected() throws {
        var w = GGUFWriter()
        w.addTensor("big", type: .f32, shape: [64], values: Array(repeating: 1, count: 64))
        let path = try Self.write(Array(w.serialized().dropLast(4)))
        do {
            _ = try GGUFFile(path: path)
            Issue.record("accepted a tensor that runs past the end")
        } catch {
            guard case .tensorOutOfBounds(let name, _, let count, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(name == "big" && count == 256)
        }
    }

    @Test func testRowThatIsNotWholeBlocksIsRejected() throws {
        var w = GGUFWriter()
        w.addTensor("q", type: .q4_1, shape: [48], rawData: Array(repeating: 0, count: 40))
        let path = try Self.write(w.serialized())
        do {
            _ = try GGUFFile(path: path)
            Issue.record("accepted a Q4_1 row of 48 values")
        } catch {
            guard case .invalidShape(let name, let shape, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(name == "q" && shape == [48])
        }
    }

    @Test func testBadAlignmentIsRejected() throws {
        var w = Self.sampleWriter()
        w.set("general.alignment", .uint32(24))
        #expect(throws: GGUFError.invalidAlignment(24)) { try GGUFFile(path: Self.write(w.serialized())) }
    }

    @Test func testMissingAndMistypedKeysAreNamed() throws {
        let file = try GGUFFile(path: Self.write(Self.sampleWriter().serialized()))
        #expect(throws: GGUFError.missingKey("llama.block_count")) { try file.requireInt("llama.block_count") }
        #expect(throws: GGUFError.typeMismatch(key: "bool", expected: "an integer", found: "bool")) {
            try file.requireInt("bool")
        }
        #expect(throws: GGUFError.missingTensor("output.weight")) { try file.requireTensor("output.weight") }
    }

    @Test func testNonexistentPathIsUnreadable() {
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
    }

    @Test func testDefaultModelLayout() throws {
        let file = try GGUFFile(path: TestModel.path())
        #expect(file.version == 3)
        #expect(file.tensors.count == 272)
        #expect(try file.requireString("general.architecture") == "llama")
        #expect(try file.requireInt("llama.embedding_length") == 576)
        let embedding = try file.requireTensor("token_embd.weight")
        #expect(embedding.type == .q8_0 && embedding.shape == [576, 49152])
        #expect(try file.requireTensor("blk.0.ffn_down.weight").type == .q4_1)
    }
}
