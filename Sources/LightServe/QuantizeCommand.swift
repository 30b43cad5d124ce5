import ArgumentParser
import Foundation
import GGUF

/// `lightserve quantize`: rewrites a GGUF model in a K-quant (or Q8_0) mix.
struct QuantizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Rewrite a GGUF model in a quantization mix (Q4_K_M, Q5_K_M, Q6_K, Q8_0), as llama.cpp's recipes do.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "The mix: \(QuantizationMix.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mix: String

    @Argument(help: "Where to write the new GGUF file.")
    var output: String

    func run() async throws {
        guard let mix = QuantizationMix.allCases.first(where: { $0.rawValue.lowercased() == mix.lowercased() }) else {
            throw ValidationError("unknown mix '\(mix)': choose one of \(QuantizationMix.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let source = try GGUFFile(path: await modelOptions.resolvedModelPath())
        var counts: [String: Int] = [:]
        let writer = GGUFRequantizer.requantize(source, to: mix) { _, type in counts[type.description, default: 0] += 1 }
        let bytes = writer.serialized()
        guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
            throw ValidationError("cannot write '\(output)'")
        }
        let summary = counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("wrote \(output) (\(bytes.count) bytes; tensors \(summary))")
    }
}
