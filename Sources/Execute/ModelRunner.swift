import ExecuteKernels
import Foundation

/// Runs batches of sequences through a ``LlamaModel``: batched prefill chunks and one-token
/// decode rows side by side, each row reading and writing its own sequence's KV slots.
///
/// Owns the KV storage, the compute threads and the activation scratch, so it is confined to
/// one dedicated thread (the Execute stage's); it is deliberately not `Sendable`.
public final class ModelRunner {
    public let model: LlamaModel
    public let cache: KVCache
    let runtime: ComputeRuntime
    private var scratch = ForwardScratch()

    /// - Parameters:
    ///   - kvSlots: token slots in the KV pool (all sequences together).
    ///   - threads: compute threads, including the calling one.
    /// Throws if the processor cannot run the kernels or the compute threads cannot start.
    public init(model: LlamaModel, kvSlots: Int, threads: Int) throws(ExecuteError) {
        self.model = model
        self.cache = KVCache(configuration: model.configuration, capacity: kvSlots)
        self.runtime = try ComputeRuntime(threads: threads)
    }

    /// What a step produced. Only valid inside the closure passed to ``forward(_:_:)``: the
    /// logits live in scratch memory the next step overwrites.
    public struct Outputs {
        fileprivate let logitRows: [Int?]
        fileprivate let scores: [Float?]
        fileprivate let logits: UnsafeMutablePointer<Float>
        fileprivate let vocabularySize: Int

        /// Next-token logits of sequence `index` (mutable scratch: samplers may edit them in place).
        public func logits(_ index: Int) -> UnsafeMutableBufferPointer<Float>? {
            logitRows[index].map { UnsafeMutableBufferPointer(start: logits + $0 * vocabularySize, count: vocabularySize) }
        }

        /// The reward score of sequence `index`, if asked for.
        public func score(_ index: Int) -> Float? { scores[index] }
    }

    /// Runs one step and hands its outputs to `body`; the logits stay valid only inside it.
    public func forward<R>(_ batch: ForwardBatch, _ body: (Outputs) throws -> R) throws -> R {
        let c = model.configuration
        try validate(batch)
        let rows = batch.tokenCount
        let d = c.embeddingLength
        let outputRows = batch.sequences.filter { $0.output != .none }.count
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
                model.embedding.decodeRow(Int(token), into: s.x + row * d)
                s.rowSlot[row] = sequence.slots[sequence.position + i]
                fillRotaryAngles(position: sequence.position + i, into: s.cosSin + row * c.rotaryDimension)
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

        // Final norm of the last row of each sequence that wants an output: logit rows first,
        // then score rows, so each head runs once over a contiguous block.
        let logitCount = batch.sequences.filter { $0.output == .logits }.count
        var logitRows = [Int?](repeating: nil, count: batch.sequences.count)
        var scoreRows = [Int?](repeating: nil, count: batch.sequences.count)
        var nextLogit = 0
        var nextScore = logitCount
        var lastRow = -1
        for (index, sequence) in batch.sequences.enumerated() {
            lastRow += sequence.tokens.count
            let target: Int
            switch sequence.output {
            case .none: continue
            case .logits:
                target = nextLogit
                logitRows[index] = target
                nextLogit += 1
            case .score:
                target = nextScore
                scoreRows[index] = target - logitCount
                nextScore += 1
            }
            ls_rmsnorm(s.x + lastRow * d, Int32(d), model.outputNorm, s.h + target * d, Int32(d), 1, Int32(d), c.rmsEpsilon)
        }
        if logitCount > 0 {
            var op = model.output.operation(output: s.logits, outputStride: c.vocabularySize, accumulate: false)
            ls_matmul(runtime.handle, s.h, Int32(logitCount), Int32(d), &op, 1)
        }
        var scores = [Float?](repeating: nil, count: batch.sequences.count)
        let scoreCount = nextScore - logitCount
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
        let outputs = Outputs(logitRows: logitRows, scores: scores, logits: s.logits, vocabularySize: c.vocabularySize)
        return try body(outputs)
    }

    private func runLayer(_ layer: LlamaModel.Layer, index: Int, rows: Int, segments: [ls_attention_segment]) {
        let c = model.configuration
        let s = scratch
        let d = c.embeddingLength, kvd = c.kvDimension, ff = c.feedForwardLength
        let n = Int32(rows)
        let rt = runtime.handle

        ls_rmsnorm_parallel(rt, s.x, Int32(d), layer.attentionNorm, s.h, Int32(d), n, Int32(d), c.rmsEpsilon)
        var qkv = [
            layer.query.operation(output: s.q, outputStride: d, accumulate: false),
            layer.key.operation(output: s.k, outputStride: kvd, accumulate: false),
            layer.value.operation(output: s.v, outputStride: kvd, accumulate: false),
        ]
        ls_matmul(rt, s.h, n, Int32(d), &qkv, 3)
        ls_rope(s.q, Int32(d), n, Int32(c.headCount), Int32(c.headDimension), Int32(c.rotaryDimension), s.cosSin)
        ls_rope(s.k, Int32(kvd), n, Int32(c.kvHeadCount), Int32(c.headDimension), Int32(c.rotaryDimension), s.cosSin)

        let keys = cache.keys(layer: index)
        let values = cache.values(layer: index)
        ls_store_kv(s.k, s.v, Int32(kvd), n, s.rowSlot, keys, values, Int32(kvd))
        segments.withUnsafeBufferPointer { segs in
            ls_attention(
                rt, s.q, Int32(d), keys, values, Int32(c.headCount), Int32(c.kvHeadCount), Int32(c.headDimension),
                segs.baseAddress, Int32(segs.count), s.attention, Int32(d))
        }
        var projection = layer.attentionOutput.operation(output: s.x, outputStride: d, accumulate: true)
        ls_matmul(rt, s.attention, n, Int32(d), &projection, 1)

        ls_rmsnorm_parallel(rt, s.x, Int32(d), layer.feedForwardNorm, s.h, Int32(d), n, Int32(d), c.rmsEpsilon)
        var gateUp = [
            layer.gate.operation(output: s.gate, outputStride: ff, accumulate: false),
            layer.up.operation(output: s.up, outputStride: ff, accumulate: false),
        ]
        ls_matmul(rt, s.h, n, Int32(d), &gateUp, 2)
        ls_swiglu_parallel(rt, s.gate, Int32(ff), s.up, Int32(ff), s.gate, Int32(ff), n, Int32(ff))
        var down = layer.down.operation(output: s.x, outputStride: d, accumulate: true)
        ls_matmul(rt, s.gate, n, Int32(ff), &down, 1)
    }

    /// Cosines then sines of `position · base^(-2i/rotaryDimension)`, computed in double
    /// precision as the reference does.
    private func fillRotaryAngles(position: Int, into destination: UnsafeMutablePointer<Float>) {
        let c = model.configuration
        let half = c.rotaryDimension / 2
        for i in 0..<half {
            let angle = Double(position) * pow(c.ropeFrequencyBase, -Double(2 * i) / Double(c.rotaryDimension))
            destination[i] = Float(cos(angle))
            destination[half + i] = Float(sin(angle))
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
