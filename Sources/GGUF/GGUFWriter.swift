/// Builds a GGUF file in memory: metadata in insertion order, then tensor descriptions, then the
/// aligned data section. Used by tests and tools to make small synthetic models.
public struct GGUFWriter: Sendable {
    public struct Tensor: Sendable {
        public var name: String
        public var type: GGUFTensorType
        public var shape: [Int]
        public var data: [UInt8]
    }

    public var version: UInt32
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    public private(set) var tensors: [Tensor] = []

    public init(version: UInt32 = 3) {
        self.version = version
    }

    /// Adds or replaces a metadata entry.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Removes a metadata entry if present.
    public mutating func remove(_ key: String) {
        metadata.removeAll { $0.key == key }
    }

    /// Adds a tensor given as float values, encoded in `type`.
    public mutating func addTensor(_ name: String, type: GGUFTensorType = .f32, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "tensor '\(name)': shape \(shape) does not hold \(values.count) values")
        tensors.append(Tensor(name: name, type: type, shape: shape, data: type.encode(values)))
    }

    /// Adds a tensor whose encoded bytes are given as is.
    public mutating func addTensor(_ name: String, type: GGUFTensorType, shape: [Int], rawData: [UInt8]) {
        tensors.append(Tensor(name: name, type: type, shape: shape, data: rawData))
    }

    /// The data alignment: `general.alignment` if set, else the format's default.
    public var alignment: Int {
        metadata.first { $0.key == "general.alignment" }?.value.intValue ?? GGUFFile.defaultAlignment
    }

    /// The complete file.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.append(littleEndian: GGUFFile.magic)
        out.append(littleEndian: version)
        out.append(littleEndian: UInt64(tensors.count))
        out.append(littleEndian: UInt64(metadata.count))
        for (key, value) in metadata {
            out.appendString(key)
            out.append(littleEndian: value.type.rawValue)
            out.appendValue(value)
        }
        let align = alignment
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            offset = (offset + tensor.data.count + align - 1) / align * align
        }
        for (tensor, tensorOffset) in zip(tensors, offsets) {
            out.appendString(tensor.name)
            out.append(littleEndian: UInt32(tensor.shape.count))
            for d in tensor.shape { out.append(littleEndian: UInt64(d)) }
            out.append(littleEndian: tensor.type.rawValue)
            out.append(littleEndian: UInt64(tensorOffset))
        }
        // Padding goes between parts only, so the file ends with the last tensor's last byte.
        for tensor in tensors {
            out.padToMultiple(of: align)
            out.append(contentsOf: tensor.data)
        }
        return out
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendString(_ s: String) {
        append(littleEndian: UInt64(s.utf8.count))
        append(contentsOf: s.utf8)
    }

    fileprivate mutating func padToMultiple(of alignment: Int) {
        let padding = (alignment - count % alignment) % alignment
        append(contentsOf: repeatElement(0, count: padding))
    }

    fileprivate mutating func appendValue(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): append(v)
        case .int8(let v): append(UInt8(bitPattern: v))
        case .uint16(let v): append(littleEndian: v)
        case .int16(let v): append(littleEndian: v)
        case .uint32(let v): append(littleEndian: v)
        case .int32(let v): append(littleEndian: v)
        case .float32(let v): append(littleEndian: v.bitPattern)
        case .bool(let v): append(v ? 1 : 0)
        case .string(let s): appendString(s)
        case .uint64(let v): append(littleEndian: v)
        case .int64(let v): append(littleEndian: v)
        case .float64(let v): append(littleEndian: v.bitPattern)
        case .array(let element, let items):
            append(littleEndian: element.rawValue)
            append(littleEndian: UInt64(items.count))
            for item in items { appendValue(item) }
        }
    }
}
