import Dispatch

/// Rewrites a model in a ``QuantizationMix``: every tensor decoded to float32 and encoded again
/// with the reference encoders (``GGUFTensorType/encode(_:)``), metadata copied with
/// `general.file_type` updated. Rows are spread over the machine's cores.
public enum GGUFRequantizer {
    /// The requantized model, ready to serialize; `progress` hears each tensor's name and type.
    public static func requantize(
        _ file: GGUFFile, to mix: QuantizationMix, progress: (String, GGUFTensorType) -> Void = { _, _ in }
    ) -> GGUFWriter {
        var writer = GGUFWriter(version: file.version)
        for key in file.metadataKeys {
            if let value = file.metadata[key] { writer.set(key, value) }
        }
        writer.set("general.file_type", .uint32(mix.fileType))
        let layers = file.tensors.compactMap { info -> Int? in
            let parts = info.name.split(separator: ".")
            return parts.count > 1 && parts[0] == "blk" ? Int(parts[1]) : nil
        }.max().map { $0 + 1 } ?? 0
        let tied = file.tensor(named: "output.weight") == nil
        for info in file.tensors {
            let type = mix.type(forTensor: info.name, shape: info.shape, layers: layers, tiedOutput: tied)
            progress(info.name, type)
            writer.addTensor(info.name, type: type, shape: info.shape, rawData: recode(file, info, to: type))
        }
        return writer
    }

    /// The tensor's rows decoded and re-encoded in `type`, in parallel chunks of rows.
    static func recode(_ file: GGUFFile, _ info: GGUFTensorInfo, to type: GGUFTensorType) -> [UInt8] {
        nonisolated(unsafe) let source = file.bytes(of: info)
        let rows = info.rowCount, length = info.rowLength
        let outRowBytes = type.byteCount(elements: length)
        var out = [UInt8](repeating: 0, count: rows * outRowBytes)
        let chunks = min(rows, 64)
        out.withUnsafeMutableBytes { destination in
            // Each iteration writes its own rows; both buffers outlive the parallel loop.
            nonisolated(unsafe) let destination = destination
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let begin = rows * chunk / chunks, end = rows * (chunk + 1) / chunks
                for row in begin..<end {
                    let bytes = UnsafeRawBufferPointer(rebasing: source[(row * info.rowByteCount)..<((row + 1) * info.rowByteCount)])
                    let encoded = type.encode(info.type.decode(bytes, count: length))
                    encoded.withUnsafeBytes { destination.baseAddress!.advanced(by: row * outRowBytes).copyMemory(from: $0.baseAddress!, byteCount: outRowBytes) }
                }
            }
        }
        return out
    }
}
