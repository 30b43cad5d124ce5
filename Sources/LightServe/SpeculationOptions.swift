import ArgumentParser
import Execute
import Foundation
import GGUF
import LightServeCore

/// Speculative decoding's flags, shared by `serve` and `generate`.
struct SpeculationOptions: ParsableArguments {
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case off, ngram, draft
    }

    @Option(
        help: ArgumentHelp(
            "Speculative decoding: ngram (prompt lookup, no second model), draft (with --draft-model) or off.",
            discussion: "Default: draft when --draft-model is given, else off. Outputs are unchanged: greedy output token for token, sampled output in distribution."))
    var speculate: Mode?

    @Option(help: "Draft model for speculative decoding: a GGUF file or a model name, with the model's vocabulary (qwen2.5-coder-0.5b for qwen2.5-coder-1.5b).")
    var draftModel: String?

    @Option(help: ArgumentHelp(
        "The draft model's head computes only the N lowest token ids (a byte-pair vocabulary's common tokens) and the control tokens: a cheaper draft token, outputs unchanged; 0 for the whole head.",
        discussion: "Default: \(SpeculativeDecoding.defaultDraftVocabulary).",
        valueName: "N"))
    var draftVocabulary: Int?

    /// The lowest token ids the draft model's head computes, or nil for all of them.
    var draftHeadVocabulary: Int? {
        guard mode == .draft else { return nil }
        return SpeculativeDecoding.draftHeadVocabulary(draftVocabulary ?? SpeculativeDecoding.defaultDraftVocabulary)
    }

    @Option(help: "The most tokens one step drafts for a sequence; fewer when drafts are seldom accepted, when the batch is large, or where the machine's step costs say so (measured at start).")
    var draftMaxTokens = 16

    @Flag(help: "Draft --draft-max-tokens tokens every step instead of adapting the length to acceptance, batch and the step costs measured at start (for measuring; outputs are the same either way).")
    var draftFixed = false

    /// The mode the flags ask for.
    var mode: Mode { speculate ?? (draftModel == nil ? .off : .draft) }

    func validate() throws {
        switch (mode, draftModel) {
        case (.draft, nil): throw ValidationError("--speculate draft needs --draft-model")
        case (.off, .some), (.ngram, .some): throw ValidationError("--draft-model drafts only with --speculate draft")
        default: break
        }
        if let draftVocabulary {
            guard mode == .draft else { throw ValidationError("--draft-vocabulary prunes a draft model's head: it needs --draft-model") }
            guard draftVocabulary >= 0 else { throw ValidationError("--draft-vocabulary must be 0 (the whole head) or more") }
        }
        if draftFixed && mode == .off { throw ValidationError("--draft-fixed needs --speculate ngram or --draft-model") }
        guard (1...64).contains(draftMaxTokens) else { throw ValidationError("--draft-max-tokens must be between 1 and 64") }
    }

    /// The draft model, loaded, when the flags name one.
    func loadDraftModel() async throws -> LanguageModel? {
        guard let draftModel else { return nil }
        return try LanguageModel(path: try await ModelOptions.resolve(draftModel))
    }

    /// Speculative decoding as the flags ask for it, weighing drafts against `costs` (measured by
    /// the engine, ``StepExecutor/measureStepCosts(upTo:rounds:)``), or nil when off.
    func configuration(costs: () async throws -> StepCostProfile) async rethrows -> SpeculativeDecoding? {
        let drafter: SpeculativeDecoding.Drafter
        switch mode {
        case .off: return nil
        case .ngram: drafter = .promptLookup(PromptLookup())
        case .draft: drafter = .draftModel
        }
        let lengths =
            draftFixed ? DraftLengthPolicy.fixed(draftMaxTokens) : DraftLengthPolicy(maxTokens: draftMaxTokens, costs: try await costs())
        return SpeculativeDecoding(drafter: drafter, lengths: lengths)
    }

    /// A line for the log: what speculates, and the step costs it weighs drafts against.
    func summary(_ speculation: SpeculativeDecoding?, draft: LanguageModel?) -> String {
        guard let speculation else { return "speculative decoding off" }
        let who: String
        switch speculation.drafter {
        case .promptLookup: who = "prompt lookup"
        case .draftModel:
            let head = draftHeadVocabulary.map { ", its head computing the \($0) lowest token ids and the control tokens" } ?? ""
            who = "draft model \(draft?.file.path ?? "?") (\(draft?.summary ?? "?")\(head))"
        }
        guard speculation.lengths.adaptive else {
            return "speculative decoding by \(who), \(speculation.lengths.maxTokens) tokens every step"
        }
        let costs = speculation.lengths.costs
        let curve = zip(costs.rows, costs.costs).map { "\($0): \(String(format: "%.2f", $1))" }.joined(separator: ", ")
        let start: String
        if let least = speculation.lengths.leastDraftingAcceptance(decodingRows: 1) {
            let needed = Int((least * 100).rounded(.up)), prior = Int((speculation.drafter.acceptancePrior * 100).rounded())
            start = "a sequence drafts once its drafts are accepted at \(needed)% or more (it starts from an assumed \(prior)%)"
        } else {
            start = "no sequence drafts: on these costs even drafts that are always accepted do not pay"
        }
        let draftToken = String(format: "%.2f", costs.draftTokenCost)
        return "speculative decoding by \(who), up to \(speculation.lengths.maxTokens) tokens; step cost by rows \(curve); draft token \(draftToken); \(start)"
    }
}
