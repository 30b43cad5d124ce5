/// A bounds-checked little-endian cursor over a GGUF file's bytes: every read either succeeds or
/// throws ``GGUFError/truncated(offset:reading:)`` naming what it was reading.
struct GGUFByteReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw GGUFError.truncated(offset: bytes.count, reading: what()) }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A length as a non-negative `Int` no larger than the bytes left, assuming each counted
    /// item takes at least `minimumItemSize` bytes; a larger count can only be a damaged file.
    mutating func readCount(minimumItemSize: Int, _ what: @autoclosure () -> String) throws -> Int {
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(remaining / max(minimumItemSize, 1)) else {
            throw GGUFError.truncated(offset: bytes.count, reading: what())
        }
        return Int(raw)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let count = try readCount(minimumItemSize: 1, what())
        let start = bytes.baseAddress.map { UnsafeRawBufferPointer(start: $0 + offset, count: count) }
        offset += count
        guard let start else { return "" }
        return String(decoding: start, as: UTF8.self)
    }

    mutating func readValue(type: GGUFValueType, key: String) throws -> GGUFValue {
        let what = "the value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, what))
        case .int8: return .int8(try read(Int8.self, what))
        case .uint16: return .uint16(try read(UInt16.self, what))
        case .int16: return .int16(try read(Int16.self, what))
        case .uint32: return .uint32(try read(UInt32.self, what))
        case .int32: return .int32(try read(Int32.self, what))
        case .float32: return .float32(try readFloat(what))
        case .bool: return .bool(try read(UInt8.self, what) != 0)
        case .string: return .string(try readString(what))
        case .uint64: return .uint64(try read(UInt64.self, what))
        case .int64: return .int64(try read(Int64.self, what))
        case .float64: return .float64(try readDouble(what))
        case .array:
            let code = try read(UInt32.self, "the element type of '\(key)'")
            guard let element = GGUFValueType(rawValue: code) else {
                throw GGUFError.unknownValueType(key: key, code: code)
            }
            let count = try readCount(minimumItemSize: element.minimumEncodedSize, "the length of '\(key)'")
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                values.append(try readValue(type: element, key: key))
            }
            return .array(element, values)
        }
    }
}

extension GGUFValueType {
    /// The fewest bytes one encoded value of this type can take.
    var minimumEncodedSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}
