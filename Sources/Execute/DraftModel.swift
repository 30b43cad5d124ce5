import GGUF
import LightServeCore

/// The draft model of speculative decoding (`--draft-model`): a small model with the model's
/// vocabulary that proposes the next few tokens of each drafting row, for the model to verify in
/// one pass. It runs on the model's compute threads, and its keys and values live in storage of
/// its own indexed by the same KV slots as the model's (one pool, one accounting: a slot holds
/// both models' keys and values for its position).
///
/// It computes a sequence's keys and values only when the sequence drafts: each drafting row
/// brings the tokens the drafter has not seen yet (``Draft/model(length:catchUp:)``), which it runs
/// before proposing, so a sequence that stopped drafting costs the drafter nothing.
final class DraftModel {
    let runner: ModelRunner
    /// Drafting stops before a position where the draft model's likeliest token has less
    /// probability than this: a proposal it doubts is seldom accepted (llama.cpp's `--draft-p-min`).
    let minimumConfidence: Float

    /// What the draft model proposed for one row: its tokens and, when the row samples, the
    /// probabilities each was drawn from.
    struct Proposals {
        var tokens: [Int32] = []
        var probabilities: [[Float]] = []
    }

    /// - Parameter vocabulary: the lowest token ids the draft head computes (with the control
    ///   tokens past them), or nil for all (``HeadVocabulary``).
    init(
        model: LanguageModel, beside target: ModelRunner, vocabulary: Int? = nil, minimumConfidence: Float = 0.5
    ) throws(ExecuteError) {
        try Self.checkVocabulary(of: model, against: target.model)
        runner = ModelRunner(model: model, kvSlots: target.cache.capacity, runtime: target.runtime)
        self.minimumConfidence = minimumConfidence
        if let vocabulary {
            runner.headVocabulary = .pruned(
                keeping: vocabulary, controlTokens: try Self.controlTokens(of: model),
                size: model.configuration.vocabularySize)
        }
    }

    /// The ids of the tokens a prompt's text is matched to whole (`tokenizer.ggml.token_type`
    /// control, user-defined or unknown: end of turn, tool-call and fill-in-the-middle markers),
    /// which a pruned head keeps wherever they are numbered.
    static func controlTokens(of model: LanguageModel) throws(ExecuteError) -> [Int] {
        let types: [Int]
        do {
            types = try model.file.intArray("tokenizer.ggml.token_type") ?? []
        } catch {
            throw .model(error)
        }
        let matchedWhole: Set = [2, 3, 4]  // unknown, control, user-defined
        return types.indices.filter { matchedWhole.contains(types[$0]) }
    }

    /// Refuses a draft model whose token list differs from the model's, naming the first
    /// difference: its token ids would mean other text.
    static func checkVocabulary(of draft: LanguageModel, against model: LanguageModel) throws(ExecuteError) {
        let key = "tokenizer.ggml.tokens"
        let tokens: [String], draftTokens: [String]
        do {
            tokens = try model.file.requireStringArray(key)
            draftTokens = try draft.file.requireStringArray(key)
        } catch {
            throw .model(error)
        }
        if let index = tokens.indices.first(where: { $0 < draftTokens.count && tokens[$0] != draftTokens[$0] }) {
            throw .draftVocabularyMismatch("token \(index) is \(String(reflecting: draftTokens[index])) in the draft model and \(String(reflecting: tokens[index])) in the model")
        }
        if tokens.count != draftTokens.count {
            throw .draftVocabularyMismatch("the draft model has \(draftTokens.count) tokens and the model \(tokens.count)")
        }
        let sizes = (draft.configuration.vocabularySize, model.configuration.vocabularySize)
        if sizes.0 != sizes.1 {
            throw .draftVocabularyMismatch("the draft model's output head has \(sizes.0) rows and the model's \(sizes.1)")
        }
    }

    /// Proposals for `rows` (each a sampling row drafting with ``Draft/model(length:catchUp:)``),
    /// in their order. Every row first runs its catch-up and its token, then each further pass
    /// runs the token proposed last for the rows still drafting; a row stops at its length, after
    /// an end-of-sequence token, or before a token the drafter doubts.
    func propose(_ rows: [Step.Row]) throws -> [Proposals] {
        var proposals = Array(repeating: Proposals(), count: rows.count)
        var samplers: [Sampler] = []
        var lengths: [Int] = []
        var sequences: [ForwardBatch.Sequence] = []
        for row in rows {
            guard case .sample(var state) = row.output, case .model(let length, let catchUp) = row.draft else {
                throw ExecuteError.invalidBatch("row of \(row.sequence) does not sample a drafted row")
            }
            guard catchUp.count <= row.position else {
                throw ExecuteError.invalidBatch("row of \(row.sequence) catches up \(catchUp.count) tokens before position \(row.position)")
            }
            // The drafter's draws come from a stream of their own, not the model's.
            state.randomState ^= 0xD6E8_FEB8_6659_FD93
            samplers.append(Sampler(state: state))
            lengths.append(length)
            sequences.append(ForwardBatch.Sequence(
                tokens: catchUp + row.tokens, position: row.position - catchUp.count, slots: row.slots))
        }
        var active = Array(rows.indices).filter { lengths[$0] > 0 }
        sequences = active.map { sequences[$0] }
        let vocabulary = runner.model.configuration.vocabularySize
        while !active.isEmpty {
            var drafting: [Int] = []
            try runner.forward(ForwardBatch(sequences)) { outputs in
                for (j, r) in active.enumerated() {
                    guard let logits = outputs.logits(j) else { continue }
                    var probabilities = samplers[r].parameters.isGreedy ? [] : [Float](repeating: 0, count: vocabulary)
                    let choice = probabilities.withUnsafeMutableBufferPointer {
                        samplers[r].propose(logits, probabilities: $0, confidence: minimumConfidence)
                    }
                    guard let choice else { continue }
                    proposals[r].tokens.append(choice.token)
                    if !probabilities.isEmpty { proposals[r].probabilities.append(probabilities) }
                    let state = samplers[r].state
                    let ended = state.stopTokens.contains(choice.token)
                        && (!state.parameters.ignoreEOS || state.constraint?.isTerminated == true)
                    if proposals[r].tokens.count < lengths[r] && !ended { drafting.append(r) }
                }
            }
            active = drafting
            sequences = active.map { r in
                ForwardBatch.Sequence(
                    tokens: [proposals[r].tokens.last!], position: rows[r].position + proposals[r].tokens.count,
                    slots: rows[r].slots)
            }
        }
        return proposals
    }
}
