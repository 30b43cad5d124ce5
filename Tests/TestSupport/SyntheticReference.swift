import Foundation

/// A plain float32 forward pass of a ``SyntheticModel`` of the plain llama family: the same
/// textbook computation as `llama_ref.py`, over the weights as the file holds them, with keys and
/// values rounded to half precision as the engine's KV cache stores them.
public struct SyntheticReference: Sendable {
    let model: SyntheticModel
    /// Decoded weights by tensor name, `[rows][columns]` flattened.
    let weights: [String: [Float]]

    /// Logits of the last position.
    public func logits(_ ids: [Int32]) -> [Float] {
        let head = model.tiedOutput ? "token_embd.weight" : "output.weight"
        return matvec(head, hidden(ids).last!, rows: model.vocabulary)
    }

    /// The reward head applied to the last position.
    public func score(_ ids: [Int32]) -> Float {
        matvec("cls.output.weight", hidden(ids).last!, rows: 1)[0]
    }

    private func halfRounded(_ x: [Float]) -> [Float] { x.map { Float(Float16($0)) } }

    /// Final-normed hidden state of every position.
    func hidden(_ ids: [Int32]) -> [[Float]] {
        let d = model.embedding, hd = model.headDimension, heads = model.heads, kvHeads = model.kvHeads
        let group = heads / kvHeads
        var x = ids.map { row("token_embd.weight", Int($0), d) }
        for layer in 0..<model.layers {
            let p = "blk.\(layer)."
            let h = x.map { rmsNorm($0, weights[p + "attn_norm.weight"]!) }
            var q = h.map { matvec(p + "attn_q.weight", $0, rows: d) }
            var k = h.map { matvec(p + "attn_k.weight", $0, rows: kvHeads * hd) }
            let v = h.map { halfRounded(matvec(p + "attn_v.weight", $0, rows: kvHeads * hd)) }
            for t in ids.indices {
                q[t] = rope(q[t], position: t, headCount: heads)
                k[t] = halfRounded(rope(k[t], position: t, headCount: kvHeads))
            }
            var attention = [[Float]](repeating: [Float](repeating: 0, count: d), count: ids.count)
            for t in ids.indices {
                for head in 0..<heads {
                    let kvHead = head / group
                    let qh = Array(q[t][(head * hd)..<((head + 1) * hd)])
                    var scores = (0...t).map { s -> Float in
                        let kh = k[s][(kvHead * hd)..<((kvHead + 1) * hd)]
                        return zip(qh, kh).reduce(0) { $0 + $1.0 * $1.1 } / sqrt(Float(hd))
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let z = scores.reduce(0, +)
                    for s in 0...t {
                        for j in 0..<hd { attention[t][head * hd + j] += scores[s] / z * v[s][kvHead * hd + j] }
                    }
                }
            }
            for t in ids.indices {
                let o = matvec(p + "attn_output.weight", attention[t], rows: d)
                for j in 0..<d { x[t][j] += o[j] }
                let n = rmsNorm(x[t], weights[p + "ffn_norm.weight"]!)
                let g = matvec(p + "ffn_gate.weight", n, rows: model.feedForward)
                let u = matvec(p + "ffn_up.weight", n, rows: model.feedForward)
                let a = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                let down = matvec(p + "ffn_down.weight", a, rows: d)
                for j in 0..<d { x[t][j] += down[j] }
            }
        }
        return x.map { rmsNorm($0, weights["output_norm.weight"]!) }
    }

    private func row(_ name: String, _ r: Int, _ columns: Int) -> [Float] {
        Array(weights[name]![(r * columns)..<((r + 1) * columns)])
    }

    private func matvec(_ name: String, _ x: [Float], rows: Int) -> [Float] {
        let w = weights[name]!
        return (0..<rows).map { r in
            var sum: Float = 0
            for j in x.indices { sum += w[r * x.count + j] * x[j] }
            return sum
        }
    }

    private func rmsNorm(_ x: [Float], _ gain: [Float]) -> [Float] {
        let meanSquare = x.reduce(0) { $0 + $1 * $1 } / Float(x.count)
        let scale = 1 / sqrt(meanSquare + model.epsilon)
        return zip(x, gain).map { $0 * scale * $1 }
    }

    private func rope(_ x: [Float], position: Int, headCount: Int) -> [Float] {
        let hd = model.headDimension
        var out = x
        for head in 0..<headCount {
            for i in 0..<(hd / 2) {
                let angle = Double(position) * pow(model.ropeBase, -Double(2 * i) / Double(hd))
                let c = Float(cos(angle)), s = Float(sin(angle))
                let a = x[head * hd + 2 * i], b = x[head * hd + 2 * i + 1]
                out[head * hd + 2 * i] = a * c - b * s
                out[head * hd + 2 * i + 1] = a * s + b * c
            }
        }
        return out
    }
}
