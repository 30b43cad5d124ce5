/// A parsed, memory-mapped GGUF model file (versions 2 and 3).
///
/// Metadata and tensor descriptions are read eagerly and checked; tensor data stays in the
/// mapping and is handed out as raw views that live as long as this object.
public final class GGUFFile: @unchecked Sendable {
    // Every stored property is immutable after init and the mapping is read-only.

    /// The magic number, `GGUF` read as a little-endian `UInt32`.
    public static let magic: UInt32 = 0x4655_4747
    /// Alignment of the data section when `general.alignment` is absent.
    public static let defaultAlignment = 32

    public let path: String
    public let version: UInt32
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Absolute offset of the (aligned) data section.
    public let dataOffset: Int

    private let mapping: MappedFile
    private let tensorIndex: [String: Int]

    /// Opens and validates the file at `path`.
    ///
    /// - Parameter metadataOnly: read only the metadata and leave ``tensors`` empty, so a tool
    ///   that needs only the tokenizer can read a file whose tensor types this build cannot use.
    public init(path: String, metadataOnly: Bool = false) throws(GGUFError) {
        self.path = path
        mapping = try MappedFile(path: path)
        let bytes = mapping.bytes
        do {
            var reader = GGUFByteReader(bytes)
            let magic = try reader.read(UInt32.self, "the magic number")
            guard magic == Self.magic else { throw GGUFError.badMagic(found: magic) }
            version = try reader.read(UInt32.self, "the version")
            guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
            let tensorCount = try reader.readCount(minimumItemSize: 24, "the tensor count")
            let kvCount = try reader.readCount(minimumItemSize: 12, "the metadata count")

            var keys: [String] = []
            var metadata: [String: GGUFValue] = [:]
            keys.reserveCapacity(kvCount)
            for index in 0..<kvCount {
                let key = try reader.readString("metadata key #\(index)")
                let code = try reader.read(UInt32.self, "the value type of '\(key)'")
                guard let type = GGUFValueType(rawValue: code) else {
                    throw GGUFError.unknownValueType(key: key, code: code)
                }
                let value = try reader.readValue(type: type, key: key)
                if metadata.updateValue(value, forKey: key) == nil { keys.append(key) }
            }
            self.metadataKeys = keys
            self.metadata = metadata

            let alignment = metadata["general.alignment"]?.intValue ?? Self.defaultAlignment
            guard alignment > 0, alignment & (alignment - 1) == 0 else {
                throw GGUFError.invalidAlignment(alignment)
            }
            self.alignment = alignment
            if metadataOnly {
                self.dataOffset = reader.offset
                self.tensors = []
                self.tensorIndex = [:]
                return
            }

            var raw: [(name: String, type: GGUFTensorType, shape: [Int], offset: UInt64)] = []
            raw.reserveCapacity(tensorCount)
            for index in 0..<tensorCount {
                let name = try reader.readString("the name of tensor #\(index)")
                let dims = try reader.read(UInt32.self, "the dimension count of '\(name)'")
                guard (1...4).contains(dims) else {
                    throw GGUFError.invalidShape(tensor: name, shape: [], reason: "\(dims) dimensions (1 to 4 allowed)")
                }
                var shape: [Int] = []
                for _ in 0..<dims {
                    let d = try reader.read(UInt64.self, "the shape of '\(name)'")
                    shape.append(Int(clamping: d))
                }
                let code = try reader.read(UInt32.self, "the type of '\(name)'")
                guard let type = GGUFTensorType(rawValue: code) else {
                    throw GGUFError.unknownTensorType(tensor: name, code: code)
                }
                let offset = try reader.read(UInt64.self, "the data offset of '\(name)'")
                raw.append((name, type, shape, offset))
            }

            let dataOffset = (reader.offset + alignment - 1) / alignment * alignment
            self.dataOffset = dataOffset
            var tensors: [GGUFTensorInfo] = []
            var index: [String: Int] = [:]
            for t in raw {
                let byteCount = try Self.validatedByteCount(name: t.name, type: t.type, shape: t.shape)
                let (start, overflow) = UInt64(dataOffset).addingReportingOverflow(t.offset)
                guard !overflow, start <= UInt64(Int.max - byteCount),
                    Int(start) + byteCount <= bytes.count,
                    t.offset % UInt64(alignment) == 0
                else {
                    throw GGUFError.tensorOutOfBounds(
                        tensor: t.name, offset: Int(clamping: start), byteCount: byteCount, fileSize: bytes.count)
                }
                guard index.updateValue(tensors.count, forKey: t.name) == nil else {
                    throw GGUFError.duplicateTensor(t.name)
                }
                tensors.append(
                    GGUFTensorInfo(name: t.name, type: t.type, shape: t.shape, fileOffset: Int(start), byteCount: byteCount))
            }
            self.tensors = tensors
            self.tensorIndex = index
        } catch let error as GGUFError {
            throw error
        } catch {
            preconditionFailure("GGUF parsing only throws GGUFError: \(error)")
        }
    }

    private static func validatedByteCount(name: String, type: GGUFTensorType, shape: [Int]) throws -> Int {
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw GGUFError.invalidShape(tensor: name, shape: shape, reason: "a dimension is zero or too large")
        }
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, product < 1 << 48 else {
                throw GGUFError.invalidShape(tensor: name, shape: shape, reason: "too many elements")
            }
            elements = product
        }
        guard shape[0] % type.blockSize == 0 else {
            throw GGUFError.invalidShape(
                tensor: name, shape: shape, reason: "rows of \(shape[0]) are not whole \(type) blocks of \(type.blockSize)")
        }
        return type.byteCount(elements: elements)
    }

    /// Size of the file in bytes.
    public var fileSize: Int { mapping.bytes.count }

    /// The tensor called `name`, if present.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The tensor called `name`, or ``GGUFError/missingTensor(_:)``.
    public func requireTensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let t = tensor(named: name) else { throw .missingTensor(name) }
        return t
    }

    /// The tensor's bytes inside the mapping; valid for as long as this file object lives.
    public func bytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[tensor.fileOffset..<(tensor.fileOffset + tensor.byteCount)])
    }

    /// Gives back the resident pages of the tensor's bytes (those wholly inside them) to the
    /// page cache, for a tensor the caller has copied and will not read here again: its pages
    /// then stop counting in this process's memory. Reading them later faults them back in.
    /// With `bytes`, only those of the tensor's bytes (offsets within it).
    public func releasePages(of tensor: GGUFTensorInfo, bytes: Range<Int>? = nil) {
        let range = bytes.map { $0.clamped(to: 0..<tensor.byteCount) } ?? 0..<tensor.byteCount
        mapping.releasePages((tensor.fileOffset + range.lowerBound)..<(tensor.fileOffset + range.upperBound))
    }

    // MARK: Typed metadata access

    /// The value under `key`, or ``GGUFError/missingKey(_:)``.
    public func require(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let value = metadata[key] else { throw .missingKey(key) }
        return value
    }

    public func requireInt(_ key: String) throws(GGUFError) -> Int {
        let value = try require(key)
        guard let v = value.intValue else { throw .typeMismatch(key: key, expected: "an integer", found: value.typeDescription) }
        return v
    }

    public func requireDouble(_ key: String) throws(GGUFError) -> Double {
        let value = try require(key)
        guard let v = value.doubleValue else { throw .typeMismatch(key: key, expected: "a number", found: value.typeDescription) }
        return v
    }

    public func requireString(_ key: String) throws(GGUFError) -> String {
        let value = try require(key)
        guard let v = value.stringValue else { throw .typeMismatch(key: key, expected: "a string", found: value.typeDescription) }
        return v
    }

    /// An optional integer: `nil` when absent, an error when present with another type.
    public func int(_ key: String) throws(GGUFError) -> Int? {
        metadata[key] == nil ? nil : try requireInt(key)
    }

    public func double(_ key: String) throws(GGUFError) -> Double? {
        metadata[key] == nil ? nil : try requireDouble(key)
    }

    public func string(_ key: String) throws(GGUFError) -> String? {
        metadata[key] == nil ? nil : try requireString(key)
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard let b = value.boolValue else { throw .typeMismatch(key: key, expected: "a bool", found: value.typeDescription) }
        return b
    }

    /// An array of strings under `key`.
    public func requireStringArray(_ key: String) throws(GGUFError) -> [String] {
        let value = try require(key)
        guard case .array(.string, let items) = value else {
            throw .typeMismatch(key: key, expected: "array of string", found: value.typeDescription)
        }
        return items.map { $0.stringValue ?? "" }
    }

    /// An array of integers (of any width) under `key`, or `nil` when absent.
    public func intArray(_ key: String) throws(GGUFError) -> [Int]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(_, let items) = value else {
            throw .typeMismatch(key: key, expected: "array of integers", found: value.typeDescription)
        }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let v = item.intValue else {
                throw .typeMismatch(key: key, expected: "array of integers", found: value.typeDescription)
            }
            result.append(v)
        }
        return result
    }
}
