import CZlib
import Foundation

/// A wheel (a zip archive) on disk, read just enough to stream one member out of it: the end
/// record, the central directory, the member's local header, then its data, stored or
/// deflated, checked against the directory's size and CRC-32. ZIP64 archives (members of 4 GiB
/// and more) are refused by name.
struct WheelArchive {
    let path: String
    private let handle: FileHandle
    private let size: Int

    /// Where a member lives and how it is stored.
    struct Member {
        let name: String
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    init(path: String) throws(ModelStoreError) {
        self.path = path
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            size = Int(try handle.seekToEnd())
        } catch {
            throw .fileSystem(path: path, "cannot read: \(error.localizedDescription)")
        }
    }

    private func fail(_ why: String) -> ModelStoreError { .archive(wheel: URL(fileURLWithPath: path).lastPathComponent, why) }

    private func read(at offset: Int, count: Int) throws(ModelStoreError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size - count else { throw fail("a record points past the end of the file") }
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else { throw fail("the file ends inside a record") }
            return [UInt8](data)
        } catch let error as ModelStoreError {
            throw error
        } catch {
            throw .fileSystem(path: path, "cannot read: \(error.localizedDescription)")
        }
    }

    /// The central directory's entry for `name`.
    func member(named name: String) throws(ModelStoreError) -> Member {
        // The end record is the last 22 bytes plus a comment of at most 65,535.
        let tailLength = min(size, 22 + 65_535)
        let tail = try read(at: size - tailLength, count: tailLength)
        guard let end = stride(from: tail.count - 22, through: 0, by: -1).first(where: { tail.u32($0) == 0x0605_4b50 }) else {
            throw fail("not a zip archive (no end-of-central-directory record)")
        }
        let directorySize = Int(tail.u32(end + 12))
        let directoryOffset = Int(tail.u32(end + 16))
        guard directoryOffset != 0xFFFF_FFFF, directorySize != 0xFFFF_FFFF else { throw fail("ZIP64 archives are not supported") }
        let directory = try read(at: directoryOffset, count: directorySize)
        var p = 0
        var names: [String] = []
        while p + 46 <= directory.count, directory.u32(p) == 0x0201_4b50 {
            let nameLength = Int(directory.u16(p + 28))
            let extraLength = Int(directory.u16(p + 30))
            let commentLength = Int(directory.u16(p + 32))
            guard p + 46 + nameLength <= directory.count else { break }
            let entryName = String(decoding: directory[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            if entryName == name {
                let member = Member(
                    name: entryName, method: directory.u16(p + 10), crc32: directory.u32(p + 16),
                    compressedSize: Int(directory.u32(p + 20)), size: Int(directory.u32(p + 24)),
                    localHeaderOffset: Int(directory.u32(p + 42)))
                guard member.compressedSize != 0xFFFF_FFFF, member.size != 0xFFFF_FFFF, member.localHeaderOffset != 0xFFFF_FFFF else {
                    throw fail("member \(name) is stored as ZIP64, which is not supported")
                }
                return member
            }
            names.append(entryName)
            p += 46 + nameLength + extraLength + commentLength
        }
        throw fail("has no member \(name) (it has \(names.prefix(8).joined(separator: ", ")))")
    }

    /// Streams `name`'s bytes to `sink` in pieces of at most 1 MiB; returns the byte count.
    func extract(_ name: String, to sink: (UnsafeRawBufferPointer) throws(ModelStoreError) -> Void) throws(ModelStoreError) -> Int {
        let member = try member(named: name)
        let header = try read(at: member.localHeaderOffset, count: 30)
        guard header.u32(0) == 0x0403_4b50 else { throw fail("member \(name)'s local header is missing") }
        var offset = member.localHeaderOffset + 30 + Int(header.u16(26)) + Int(header.u16(28))
        var remaining = member.compressedSize
        var crc = crc32(0, nil, 0)
        var written = 0
        let chunk = 1 << 20
        func deliver(_ bytes: UnsafeRawBufferPointer) throws(ModelStoreError) {
            guard !bytes.isEmpty else { return }
            crc = crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
            written += bytes.count
            guard written <= member.size else { throw fail("member \(name) inflates past its recorded \(member.size) bytes") }
            try sink(bytes)
        }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer {
            input.deallocate()
            output.deallocate()
        }
        func next() throws(ModelStoreError) -> Int {
            let piece = try read(at: offset, count: min(chunk, remaining))
            input.copyBytes(from: piece)
            offset += piece.count
            remaining -= piece.count
            return piece.count
        }
        switch member.method {
        case 0:
            while remaining > 0 {
                let count = try next()
                try deliver(UnsafeRawBufferPointer(rebasing: input[0..<count]))
            }
        case 8:
            var stream = z_stream()
            guard ls_inflate_init_raw(&stream) == Z_OK else { throw fail("zlib could not start inflating") }
            defer { inflateEnd(&stream) }
            var status = Z_OK
            while status != Z_STREAM_END {
                guard remaining > 0 else { throw fail("member \(name)'s deflate stream is cut short") }
                stream.avail_in = uInt(try next())
                stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                repeat {
                    stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(chunk)
                    status = inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw fail("member \(name) is not valid deflate data (zlib \(status))")
                    }
                    try deliver(UnsafeRawBufferPointer(rebasing: output[0..<(chunk - Int(stream.avail_out))]))
                } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
            }
        default:
            throw fail("member \(name) uses compression method \(member.method); only stored (0) and deflate (8) are supported")
        }
        guard written == member.size, crc == uLong(member.crc32) else {
            throw fail("member \(name) gave \(written) bytes with CRC-32 \(String(crc, radix: 16)), expected \(member.size) with \(String(member.crc32, radix: 16))")
        }
        return written
    }
}

extension Array where Element == UInt8 {
    fileprivate func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    fileprivate func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
}
