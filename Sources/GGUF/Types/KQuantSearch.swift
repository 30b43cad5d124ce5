/// The scale searches of llama.cpp's reference quantizers (`make_qx_quants`, `make_qkx2_quants`)
/// that the K-quant encoders share: weighted least-squares scale (and minimum) per sub-block,
/// so that files written here resemble the ones people download.
enum KQuantSearch {
    static func nearest(_ x: Float) -> Int { Int(x.rounded(.toNearestOrEven)) }

    /// Symmetric scale search (llama.cpp's `make_qx_quants`, weights x²) for values in
    /// [-nmax, nmax-1]; returns the scale (the callers quantize again with the stored scale).
    static func symmetricScale(_ x: ArraySlice<Float>, nmax: Int) -> Float {
        var maxValue: Float = 0, amax: Float = 0
        for v in x where abs(v) > amax {
            amax = abs(v)
            maxValue = v
        }
        if amax < 1e-15 { return 0 }
        func fit(_ iscale: Float) -> (sumlx: Float, suml2: Float) {
            var sumlx: Float = 0, suml2: Float = 0
            for v in x {
                let l = max(-nmax, min(nmax - 1, nearest(iscale * v)))
                let w = v * v
                sumlx += w * v * Float(l)
                suml2 += w * Float(l * l)
            }
            return (sumlx, suml2)
        }
        let first = fit(-Float(nmax) / maxValue)
        var scale = first.suml2 > 0 ? first.sumlx / first.suml2 : 0
        var best = scale * first.sumlx
        for step in -9...9 where step != 0 {
            let trial = fit(-(Float(nmax) + 0.1 * Float(step)) / maxValue)
            if trial.suml2 > 0 && trial.sumlx * trial.sumlx > best * trial.suml2 {
                scale = trial.sumlx / trial.suml2
                best = scale * trial.sumlx
            }
        }
        return scale
    }

    /// The sixteen 16-value sub-blocks' symmetric scales of a super-block (Q3_K, Q6_K), and the
    /// one of largest magnitude.
    static func symmetricScales(_ x: [Float], nmax: Int) -> (scales: [Float], largest: Float) {
        var scales = [Float](repeating: 0, count: 16)
        var largest: Float = 0
        for j in 0..<16 {
            scales[j] = symmetricScale(x[16 * j..<16 * j + 16], nmax: nmax)
            if abs(scales[j]) > abs(largest) { largest = scales[j] }
        }
        return (scales, largest)
    }

    /// Asymmetric scale-and-minimum search (llama.cpp's `make_qkx2_quants`): returns the scale
    /// and the minimum as a non-negative amount subtracted (y ≈ scale·l - minimum).
    static func scaleAndMinimum(
        _ x: ArraySlice<Float>, weights: [Float], nmax: Int, rmin: Float, rdelta: Float, steps: Int, absolute: Bool
    ) -> (scale: Float, minimum: Float) {
        let xs = Array(x)
        var lo = xs.min() ?? 0, hi = xs.max() ?? 0
        var sumW: Float = 0, sumX: Float = 0
        for (v, w) in zip(xs, weights) {
            sumW += w
            sumX += w * v
        }
        if lo > 0 { lo = 0 }
        if hi == lo { return (0, -lo) }
        var iscale = Float(nmax) / (hi - lo)
        var scale = 1 / iscale
        var bestError: Float = 0
        for (v, w) in zip(xs, weights) {
            let l = max(0, min(nmax, nearest(iscale * (v - lo))))
            let diff = scale * Float(l) + lo - v
            bestError += w * (absolute ? abs(diff) : diff * diff)
        }
        var levels = [Int](repeating: 0, count: xs.count)
        for step in 0...steps {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (hi - lo)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for (i, (v, w)) in zip(xs, weights).enumerated() {
                let l = max(0, min(nmax, nearest(iscale * (v - lo))))
                levels[i] = l
                sumL += w * Float(l)
                sumL2 += w * Float(l * l)
                sumXL += w * Float(l) * v
            }
            let det = sumW * sumL2 - sumL * sumL
            guard det > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / det
            var thisMin = (sumL2 * sumX - sumL * sumXL) / det
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for (i, (v, w)) in zip(xs, weights).enumerated() {
                let diff = thisScale * Float(levels[i]) + thisMin - v
                error += w * (absolute ? abs(diff) : diff * diff)
            }
            if error < bestError {
                bestError = error
                scale = thisScale
                lo = thisMin
            }
        }
        return (scale, -lo)
    }

    /// 2-bit fields of 256 levels (Q2_K's values, Q3_K's low bits): byte l of chunk c holds
    /// levels 128c+l, +32, +64, +96.
    static func packTwoBit(_ levels: [Int], into out: inout [UInt8]) {
        for chunk in stride(from: 0, to: 256, by: 128) {
            for l in 0..<32 {
                var byte = 0
                for k in 0..<4 { byte |= (levels[chunk + 32 * k + l] & 3) << (2 * k) }
                out.append(UInt8(byte))
            }
        }
    }
}
