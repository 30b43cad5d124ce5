import CZlib

/// Builds a wheel (a zip archive) in memory, each member stored or deflated as zip tools do.
enum WheelFixture {
    struct Member {
        let name: String
        let bytes: [UInt8]
        let deflated: Bool
    }

    static func zip(_ members: [Member]) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        for member in members {
            let data = member.deflated ? deflate(member.bytes) : member.bytes
            let crc = UInt32(member.bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
            let name = Array(member.name.utf8)
            let offset = UInt32(out.count)
            let method: UInt16 = member.deflated ? 8 : 0
            out.le32(0x0403_4b50); out.le16(20); out.le16(0); out.le16(method); out.le16(0); out.le16(0)
            out.le32(crc); out.le32(UInt32(data.count)); out.le32(UInt32(member.bytes.count))
            out.le16(UInt16(name.count)); out.le16(0)
            out += name + data
            directory.le32(0x0201_4b50); directory.le16(20); directory.le16(20); directory.le16(0); directory.le16(method)
            directory.le16(0); directory.le16(0); directory.le32(crc); directory.le32(UInt32(data.count))
            directory.le32(UInt32(member.bytes.count)); directory.le16(UInt16(name.count)); directory.le16(0); directory.le16(0)
            directory.le16(0); directory.le16(0); directory.le32(0); directory.le32(offset)
            directory += name
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        out.le32(0x0605_4b50); out.le16(0); out.le16(0); out.le16(UInt16(members.count)); out.le16(UInt16(members.count))
        out.le32(UInt32(directory.count)); out.le32(directoryOffset); out.le16(0)
        return out
    }

    /// Raw deflate, as zip members hold it.
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(ls_deflate_init_raw(&stream, 6) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                precondition(CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func le16(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    fileprivate mutating func le32(_ v: UInt32) { le16(UInt16(v & 0xFFFF)); le16(UInt16(v >> 16)) }
}
