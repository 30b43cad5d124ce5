import ExecuteKernels
import Foundation
import LightServeCore

/// Runs batches of sequences through a ``LanguageModel``: batched prefill chunks and one-token
/// decode rows side by side, each row reading and writing its own sequence's KV slots. One
/// forward pass serves every family; the model's ``BlockRecipe`` switches its optional parts.
///
/// Owns the KV storage, the compute threads and the activation scratch, so it is confined to
/// one dedicated thread (the Execute stage's); it is deliberately not `Sendable`.
public final class ModelRunner {
    public let model: LanguageModel
    public let cache: KVCache
    let runtime: ComputeRuntime
    private var scratch = ForwardScratch()
    /// The tokens the output head computes logits for: all, but for a draft model whose head is
    /// pruned (``HeadVocabulary``).
    var headVocabulary: HeadVocabulary

    /// - Parameters:
    ///   - kvSlots: token slots in the KV pool (all sequences together).
    ///   - threads: compute threads, including the calling one.
    ///   - kernels: the kernel build to run (tests pin each one the processor has).
    /// Throws if the processor cannot run the kernels or the compute threads cannot start.
    public convenience init(model: LanguageModel, kvSlots: Int, threads: Int, kernels: KernelSet = .preferred) throws(ExecuteError) {
        self.init(model: model, kvSlots: kvSlots, runtime: try ComputeRuntime(threads: threads, kernels: kernels))
    }

    /// A runner on `runtime`'s threads, which it shares with other runners on the same thread
    /// (a draft model's beside its model's): one set of compute threads, each runner its own KV
    /// storage and scratch.
    init(model: LanguageModel, kvSlots: Int, runtime: ComputeRuntime) {
        self.model = model
        self.cache = KVCache(configuration: model.configuration, capacity: kvSlots)
        self.runtime = runtime
        headVocabulary = .complete(size: model.configuration.vocabularySize)
    }

    /// The kernel build the runner's products and attention use.
    public var kernels: KernelSet { runtime.kernels }

    /// What a step produced. Only valid inside the closure passed to ``forward(_:_:)``: the
    /// logits live in scratch memory the next step overwrites.
    public struct Outputs {
        fileprivate let logitRows: [Range<Int>?]
        fileprivate let scores: [Float?]
        fileprivate let prompts: [Int: [PromptLogprob]]
        fileprivate let logits: UnsafeMutablePointer<Float>
        fileprivate let vocabularySize: Int

        /// Next-token logits of sequence `index` after its last token (mutable scratch: samplers
        /// may edit them in place).
        public func logits(_ index: Int) -> UnsafeMutableBufferPointer<Float>? {
            logitRows[index].map { row($0.upperBound - 1) }
        }

        /// Next-token logits of sequence `index` after its token `token`, for a sequence that asked
        /// for ``ForwardBatch/Output/everyToken``.
        public func logits(_ index: Int, token: Int) -> UnsafeMutableBufferPointer<Float>? {
            guard let rows = logitRows[index], rows.count > token, token >= 0 else { return nil }
            return row(rows.lowerBound + token)
        }

        private func row(_ row: Int) -> UnsafeMutableBufferPointer<Float> {
            UnsafeMutableBufferPointer(start: logits + row * vocabularySize, count: vocabularySize)
        }

        /// The reward score of sequence `index`, if asked for.
        public func score(_ index: Int) -> Float? { scores[index] }

        /// The prompt log-probabilities of sequence `index`, if its rows asked for them.
        public func promptLogprobs(_ index: Int) -> [PromptLogprob]? { prompts[index] }
    }

    /// Runs one step and hands its outputs to `body`; the logits stay valid only inside it.
    public func forward<R>(_ batch: ForwardBatch, _ body: (Outputs) throws -> R) throws -> R {
        let c = model.configuration
        try validate(batch)
        let rows = batch.tokenCount
        let d = c.embeddingLength
        let scoring = batch.sequences.contains { $0.promptScoring != nil }
        let logitCount = batch.logitRowCount
        let scoreCount = batch.sequences.filter { $0.output == .score }.count
        let outputRows = max(logitCount + scoreCount, scoring ? Self.promptScoringBlock : 0)
        scratch.reserve(rows: rows, outputRows: outputRows, configuration: c)
        let s = scratch

        // Embeddings, positions, slots and rotary angles of every row.
        var row = 0
        var allSlots: [Int32] = []
        allSlots.reserveCapacity(batch.sequences.reduce(0) { $0 + $1.slots.count })
        var slotBase: [Int] = []
        for sequence in batch.sequences {
            slotBase.append(allSlots.count)
            allSlots.append(contentsOf: sequence.slots[0..<(sequence.position + sequence.tokens.count)])
            for (i, token) in sequence.tokens.enumerated() {
                let embedded = s.x + row * d
                model.embedding.decodeRow(Int(token), into: embedded)
                if c.embeddingScale != 1 {
                    for j in 0..<d { embedded[j] *= c.embeddingScale }
                }
                s.rowSlot[row] = sequence.slots[sequence.position + i]
                for (t, rotary) in c.rotaries.enumerated() {
                    rotary.fillAngles(position: sequence.position + i, into: angles(table: t) + row * rotary.dimension)
                }
                row += 1
            }
        }

        allSlots.withUnsafeBufferPointer { slotBuffer in
            var segments: [ls_attention_segment] = []
            var firstRow = 0
            for (index, sequence) in batch.sequences.enumerated() {
                segments.append(
                    ls_attention_segment(
                        row: Int32(firstRow), count: Int32(sequence.tokens.count), position: Int32(sequence.position),
                        slots: slotBuffer.baseAddress! + slotBase[index]))
                firstRow += sequence.tokens.count
            }
            for (index, layer) in model.layers.enumerated() {
                runLayer(layer, index: index, rows: rows, segments: segments)
            }
        }

        // Prompt log-probabilities, before the outputs below reuse `h` and the logits.
        var prompts: [Int: [PromptLogprob]] = [:]
        var firstRow = 0
        for (index, sequence) in batch.sequences.enumerated() {
            if let scoring = sequence.promptScoring { prompts[index] = scorePrompt(firstRow + scoring.firstRow, scoring) }
            firstRow += sequence.tokens.count
        }

        // Final norm of the rows that want an output (each sequence's last, or all of a
        // sequence's that asked for every token's): logit rows first, then score rows, so each
        // head runs once over a contiguous block.
        var logitRows = [Range<Int>?](repeating: nil, count: batch.sequences.count)
        var scoreRows = [Int?](repeating: nil, count: batch.sequences.count)
        var nextLogit = 0
        var nextScore = logitCount
        var end = 0
        for (index, sequence) in batch.sequences.enumerated() {
            end += sequence.tokens.count
            let target: Int
            var count = 1
            switch sequence.output {
            case .none: continue
            case .logits:
                target = nextLogit
                logitRows[index] = target..<(target + 1)
                nextLogit += 1
            case .everyToken:
                target = nextLogit
                count = sequence.tokens.count
                logitRows[index] = target..<(target + count)
                nextLogit += count
            case .score:
                target = nextScore
                scoreRows[index] = target - logitCount
                nextScore += 1
            }
            ls_rmsnorm(
                s.x + (end - count) * d, Int32(d), model.outputNorm, s.h + target * d, Int32(d), Int32(count), Int32(d),
                c.rmsEpsilon)
        }
        if logitCount > 0 { headLogits(rows: logitCount) }
        var scores = [Float?](repeating: nil, count: batch.sequences.count)
        if scoreCount > 0, let head = model.rewardHead {
            var values = [Float](repeating: 0, count: scoreCount)
            values.withUnsafeMutableBufferPointer { out in
                var op = head.operation(output: out.baseAddress!, outputStride: 1, accumulate: false)
                ls_matmul(runtime.handle, s.h + logitCount * d, Int32(scoreCount), Int32(d), &op, 1)
            }
            for (index, row) in scoreRows.enumerated() {
                if let row { scores[index] = values[row] }
            }
        }
        try runtime.checkKernels()
        let outputs = Outputs(
            logitRows: logitRows, scores: scores, prompts: prompts, logits: s.logits, vocabularySize: c.vocabularySize)
        return try body(outputs)
    }

    /// Rows whose logits are computed at once when scoring a prompt: the head's product for a
    /// whole chunk would need chunk × vocabulary floats (310 MB for 512 rows of Qwen's).
    static let promptScoringBlock = 8

    /// For rows `first + i`, the log-probability of `scoring.targets[i]` and the most likely
    /// tokens, from the final norm and the output head, a block of rows at a time.
    private func scorePrompt(_ first: Int, _ scoring: PromptScoring) -> [PromptLogprob] {
        let c = model.configuration
        let s = scratch
        let d = c.embeddingLength
        let vocabulary = c.vocabularySize
        var result: [PromptLogprob] = []
        result.reserveCapacity(scoring.targets.count)
        for blockStart in stride(from: 0, to: scoring.targets.count, by: Self.promptScoringBlock) {
            let count = min(Self.promptScoringBlock, scoring.targets.count - blockStart)
            let row = first + blockStart
            ls_rmsnorm(s.x + row * d, Int32(d), model.outputNorm, s.h, Int32(d), Int32(count), Int32(d), c.rmsEpsilon)
            headLogits(rows: count)
            for i in 0..<count {
                let logits = UnsafeMutableBufferPointer(start: s.logits + i * vocabulary, count: vocabulary)
                Sampler.makeFinite(logits)
                let best = Int(ls_argmax(logits.baseAddress, Int32(vocabulary)))
                let logPartition = ls_logsumexp(logits.baseAddress, Int32(vocabulary), logits[best])
                let target = scoring.targets[blockStart + i]
                let logprob = target >= 0 && Int(target) < vocabulary ? logits[Int(target)] - logPartition : -.infinity
                result.append(PromptLogprob(
                    token: TokenLogprob(id: target, logprob: logprob),
                    alternatives: Sampler.mostLikely(
                        logits: UnsafeBufferPointer(logits), count: scoring.alternatives, logPartition: logPartition)))
            }
        }
        return result
    }

    /// The output head over the first `rows` normed rows of `h`, into the logits scratch,
    /// soft-capped where the model says; the tokens a pruned head leaves out get -inf.
    private func headLogits(rows: Int) {
        let c = model.configuration
        let vocabulary = c.vocabularySize
        var ops = headVocabulary.ranges.map {
            model.output.operation(rows: $0, output: scratch.logits, outputStride: vocabulary, accumulate: false)
        }
        ls_matmul(runtime.handle, scratch.h, Int32(rows), Int32(c.embeddingLength), &ops, Int32(ops.count))
        if let cap = c.finalLogitSoftCap {
            Self.softCap(UnsafeMutableBufferPointer(start: scratch.logits, count: rows * vocabulary), cap: cap)
        }
        let gaps = headVocabulary.gaps
        for row in 0..<rows {
            for gap in gaps {
                (scratch.logits + row * vocabulary + gap.lowerBound).update(repeating: -.infinity, count: gap.count)
            }
        }
    }

    /// Final logit soft-capping, `x = cap · tanh(x / cap)` in place: a plain loop over the
    /// logits on the engine thread, 1.6 ms per 262,144-entry row (Gemma's vocabulary) on one
    /// Zen 4 core, measured alone; runs only for files that set the cap (no released Gemma 3 does).
    static func softCap(_ logits: UnsafeMutableBufferPointer<Float>, cap: Float) {
        let inverse = 1 / cap
        for i in logits.indices { logits[i] = cap * tanh(logits[i] * inverse) }
    }

    /// Rotary angles of every row for rotary embedding `table`.
    private func angles(table: Int) -> UnsafeMutablePointer<Float> {
        scratch.cosSin + table * scratch.rowCapacity * model.configuration.maxRotaryDimension
    }

    private func runLayer(_ layer: TransformerLayer, index: Int, rows: Int, segments: [ls_attention_segment]) {
        let c = model.configuration
        let parameters = c.layers[index]
        let s = scratch
        let d = c.embeddingLength, qd = c.queryDimension, kvd = c.kvDimension, ff = c.feedForwardLength
        let hd = c.headDimension
        let n = Int32(rows)
        let rt = runtime.handle

        // Attention: norm, projections (+ biases), per-head q/k norms, rotation.
        ls_rmsnorm_parallel(rt, s.x, Int32(d), layer.attentionNorm, s.h, Int32(d), n, Int32(d), c.rmsEpsilon)
        var qkv = [
            layer.query.operation(output: s.q, outputStride: qd, accumulate: false),
            layer.key.operation(output: s.k, outputStride: kvd, accumulate: false),
            layer.value.operation(output: s.v, outputStride: kvd, accumulate: false),
        ]
        ls_matmul(rt, s.h, n, Int32(d), &qkv, 3)
        if let bias = layer.queryBias { ls_add_bias(s.q, Int32(qd), n, bias, Int32(qd)) }
        if let bias = layer.keyBias { ls_add_bias(s.k, Int32(kvd), n, bias, Int32(kvd)) }
        if let bias = layer.valueBias { ls_add_bias(s.v, Int32(kvd), n, bias, Int32(kvd)) }
        if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
            // Rows of q (k) are contiguous heads, so the heads of all rows are one run of rows.
            ls_rmsnorm_parallel(rt, s.q, Int32(hd), queryNorm, s.q, Int32(hd), n * Int32(c.headCount), Int32(hd), c.rmsEpsilon)
            ls_rmsnorm_parallel(rt, s.k, Int32(hd), keyNorm, s.k, Int32(hd), n * Int32(c.kvHeadCount), Int32(hd), c.rmsEpsilon)
        }
        let rotary = c.rotaries[parameters.rotary]
        let cosSin = angles(table: parameters.rotary)
        switch rotary.layout {
        case .normal:
            ls_rope(s.q, Int32(qd), n, Int32(c.headCount), Int32(hd), Int32(rotary.dimension), cosSin)
            ls_rope(s.k, Int32(kvd), n, Int32(c.kvHeadCount), Int32(hd), Int32(rotary.dimension), cosSin)
        case .neox:
            ls_rope_neox(s.q, Int32(qd), n, Int32(c.headCount), Int32(hd), Int32(rotary.dimension), cosSin)
            ls_rope_neox(s.k, Int32(kvd), n, Int32(c.kvHeadCount), Int32(hd), Int32(rotary.dimension), cosSin)
        }

        let keys = cache.keys(layer: index)
        let values = cache.values(layer: index)
        ls_store_kv(s.k, s.v, Int32(kvd), n, s.rowSlot, keys, values, Int32(kvd))
        segments.withUnsafeBufferPointer { segs in
            ls_attention(
                rt, s.q, Int32(qd), keys, values, Int32(c.headCount), Int32(c.kvHeadCount), Int32(hd), c.attentionScale,
                Int32(parameters.slidingWindow ?? 0), segs.baseAddress, Int32(segs.count), s.attention, Int32(qd))
        }
        residualAdd(layer.attentionOutput, input: s.attention, inputStride: qd, postNorm: layer.postAttentionNorm, rows: n)

        // Feed-forward network.
        ls_rmsnorm_parallel(rt, s.x, Int32(d), layer.feedForwardNorm, s.h, Int32(d), n, Int32(d), c.rmsEpsilon)
        var gateUp = [
            layer.gate.operation(output: s.gate, outputStride: ff, accumulate: false),
            layer.up.operation(output: s.up, outputStride: ff, accumulate: false),
        ]
        ls_matmul(rt, s.h, n, Int32(d), &gateUp, 2)
        switch c.block.activation {
        case .silu: ls_swiglu_parallel(rt, s.gate, Int32(ff), s.up, Int32(ff), s.gate, Int32(ff), n, Int32(ff))
        case .geluTanh: ls_geglu_parallel(rt, s.gate, Int32(ff), s.up, Int32(ff), s.gate, Int32(ff), n, Int32(ff))
        }
        residualAdd(layer.down, input: s.gate, inputStride: ff, postNorm: layer.postFeedForwardNorm, rows: n)
    }

    /// `x += W·input`, or `x += norm(W·input)` when the block norms the sub-layer's output.
    private func residualAdd(_ weight: WeightMatrix, input: UnsafeMutablePointer<Float>, inputStride: Int, postNorm: [Float]?, rows n: Int32) {
        let s = scratch
        let c = model.configuration
        let d = c.embeddingLength
        let rt = runtime.handle
        if let postNorm {
            // `h` is free here: its last reader (the projections) has run.
            var projection = weight.operation(output: s.h, outputStride: d, accumulate: false)
            ls_matmul(rt, input, n, Int32(inputStride), &projection, 1)
            ls_rmsnorm_add_parallel(rt, s.h, Int32(d), postNorm, s.x, Int32(d), n, Int32(d), c.rmsEpsilon)
        } else {
            var projection = weight.operation(output: s.x, outputStride: d, accumulate: true)
            ls_matmul(rt, input, n, Int32(inputStride), &projection, 1)
        }
    }

    private func validate(_ batch: ForwardBatch) throws(ExecuteError) {
        let vocabulary = model.configuration.vocabularySize
        for (index, sequence) in batch.sequences.enumerated() {
            guard !sequence.tokens.isEmpty else { throw .invalidBatch("sequence \(index) has no tokens") }
            guard sequence.position >= 0, sequence.slots.count >= sequence.position + sequence.tokens.count else {
                throw .invalidBatch(
                    "sequence \(index) has \(sequence.slots.count) slots for positions up to \(sequence.position + sequence.tokens.count)")
            }
            for token in sequence.tokens where token < 0 || Int(token) >= vocabulary {
                throw .invalidBatch("token \(token) is outside the vocabulary of \(vocabulary)")
            }
            for slot in sequence.slots[0..<(sequence.position + sequence.tokens.count)]
            where slot < 0 || Int(slot) >= cache.capacity {
                throw .invalidBatch("slot \(slot) is outside the KV pool of \(cache.capacity)")
            }
            if sequence.output == .score && model.rewardHead == nil { throw .noRewardHead }
        }
    }
}
