import ArgumentParser
import Execute
import Foundation
import LightServeCore
import Tokenize

/// `lightserve generate`: one prompt, greedy by default, with throughput figures.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate a continuation of a prompt and report prefill and decode speed.")

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var speculationOptions: SpeculationOptions

    @Argument(help: "The prompt text (special tokens such as <|im_start|> are recognised).")
    var prompt: String?

    @Option(name: .long, help: "Comma-separated prompt token ids instead of text.")
    var ids: String?

    @Option(name: .long, help: "Tokens to generate at most.")
    var maxNewTokens = 16

    @Flag(name: .long, help: "Keep generating past end-of-sequence tokens.")
    var ignoreEOS = false

    @Option(name: .long, help: "Sampling temperature; sampling is on when given (greedy otherwise).")
    var temperature: Float?

    @Option(name: .long, help: "Top-k (with --temperature).")
    var topK = -1

    @Option(name: .long, help: "Top-p (with --temperature).")
    var topP: Float = 1

    @Option(name: .long, help: "Random seed for sampling.")
    var seed: UInt64?

    @Flag(name: .long, help: "Print {prompt_ids, ids, text, prefill_tok_s, decode_tok_s, …} as JSON.")
    var json = false

    func validate() throws {
        guard (prompt == nil) != (ids == nil) else { throw ValidationError("give either a prompt or --ids, not both") }
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
    }

    func run() async throws {
        let path = try await modelOptions.resolvedModelPath()
        let model = try LanguageModel(path: path)
        let tokenizer = try Tokenizer(gguf: model.file)
        let promptIDs: [Int32]
        if let ids {
            promptIDs = try ids.split(separator: ",").map { field in
                guard let id = Int32(field.trimmingCharacters(in: .whitespaces)), tokenizer.vocabulary.contains(id) else {
                    throw ValidationError("'\(field)' is not a token id of this model (0..<\(tokenizer.vocabulary.count))")
                }
                return id
            }
        } else {
            promptIDs = tokenizer.encode(prompt ?? "")
        }
        guard !promptIDs.isEmpty else { throw ValidationError("the prompt is empty") }

        var sampling = SamplingParameters(ignoreEOS: ignoreEOS, seed: seed)
        if let temperature {
            sampling.doSample = true
            sampling.temperature = temperature
            sampling.topK = topK
            sampling.topP = topP
        }
        let draft = try await speculationOptions.loadDraftModel()
        // Speculation measures its step costs after 128 positions of context, with room for the
        // widest draft: a short generation gets a pool that large.
        let capacity = max(promptIDs.count + maxNewTokens, speculationOptions.mode == .off ? 0 : 256)
        let generator = try Generator(
            model: model, draftModel: draft, draftVocabulary: speculationOptions.draftHeadVocabulary, capacity: capacity,
            threads: modelOptions.threads)
        generator.speculation = try await speculationOptions.configuration {
            try generator.executor.measureStepCosts(upTo: speculationOptions.draftMaxTokens + 1)
        }
        if !json, generator.speculation != nil {
            FileHandle.standardError.write(Data((speculationOptions.summary(generator.speculation, draft: draft) + "\n").utf8))
        }
        var streamed = StreamingText(tokenizer: tokenizer)
        let result = try generator.generate(
            prompt: promptIDs, maxNewTokens: maxNewTokens, sampling: sampling,
            stopTokens: tokenizer.vocabulary.stopIDs
        ) { token in
            if !json { streamed.print(token) }
        }
        let text = try tokenizer.decode(result.ids)
        if json {
            let compute = try ComputeReport.current(kernels: generator.kernels)
            let object: [String: Any] = [
                "prompt_ids": result.promptIDs.map(Int.init), "ids": result.ids.map(Int.init), "text": text,
                "prefill_tok_s": result.prefillTokensPerSecond, "decode_tok_s": result.decodeTokensPerSecond,
                "decode_steps": result.decodeSteps, "draft_tokens": result.draftedTokens,
                "accepted_tokens": result.acceptedTokens, "speculate": speculationOptions.mode.rawValue,
                "peak_rss_mb": Double(ProcessMemory.peakResidentBytes ?? 0) / 1_048_576,
                "lightserve_kernels": compute.kernels, "openblas_core": compute.openBLASCore,
                "openblas_core_chosen_by": compute.openBLASChoice,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            streamed.finish()
            let figures = String(
                format: "prefill: %d tokens, %.1f tok/s | decode: %d tokens, %.1f tok/s | peak RSS %.0f MB",
                result.promptIDs.count, result.prefillTokensPerSecond, result.ids.count, result.decodeTokensPerSecond,
                Double(ProcessMemory.peakResidentBytes ?? 0) / 1_048_576)
            let speculation =
                generator.speculation == nil
                ? ""
                : String(
                    format: "\nspeculation (%@): %d decode steps, %d tokens drafted, %d accepted (%.0f%%)",
                    speculationOptions.mode.rawValue, result.decodeSteps, result.draftedTokens, result.acceptedTokens,
                    100 * result.acceptanceRate)
            FileHandle.standardError.write(Data((figures + speculation + "\n").utf8))
        }
    }
}

/// Prints generated text as it arrives, holding back bytes of an incomplete UTF-8 character.
private struct StreamingText {
    let tokenizer: Tokenizer
    var pending: [UInt8] = []

    init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    mutating func print(_ token: Int32) {
        guard !tokenizer.vocabulary.isSpecial(token) else { return }
        pending.append(contentsOf: tokenizer.vocabulary.bytes(of: token))
        var complete = pending.count
        while complete > 0 && String(validating: pending[..<complete], as: UTF8.self) == nil && pending.count - complete < 4 {
            complete -= 1
        }
        guard complete > 0 else { return }
        FileHandle.standardOutput.write(Data(pending[..<complete]))
        pending.removeFirst(complete)
    }

    mutating func finish() {
        FileHandle.standardOutput.write(Data(pending + [0x0A]))
        pending.removeAll()
    }
}
