import LightServeCore

/// Draws spans as an SVG timeline: one lane per pipeline stage (engine steps labelled with
/// their batch size), then one lane per request with its phases as coloured bars. For machines
/// that cannot reach Perfetto's web UI, and for the README.
enum TraceTimelineSVG {
    static let colors: [String: String] = [
        "request": "#e8eef7", "request (cancelled)": "#f7e3e3", "received": "#9aa5b1", "queued (tokenize)": "#c7ccd1",
        "tokenize": "#9b6bcc", "queued (admission)": "#d9dde1", "prefill": "#f0a03c", "decode": "#4a90d9",
        "first token": "#d0021b", "admit": "#2e7d32",
    ]

    static func render(_ spans: [TraceRecorder.Span], maxRequests: Int = 40) -> String {
        guard let start = spans.map(\.start).min(), let end = spans.map(\.end).max(), end > start else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"40\">"
                + text("no trace events in this window", x: 10, y: 25, fill: "#333") + "</svg>\n"
        }
        let stages = ChromeTrace.stageOrder.filter { name in spans.contains { $0.track == .stage(name) } }
        var firstSeen: [RequestID: ContinuousClock.Instant] = [:]
        for span in spans {
            if case .request(let id) = span.track { firstSeen[id] = min(firstSeen[id] ?? span.start, span.start) }
        }
        let requests = firstSeen.sorted { $0.value < $1.value }.prefix(maxRequests).map(\.key)
        let left = 110.0, width = 1100.0, laneHeight = 18.0, top = 34.0
        let total = (end - start).seconds
        func x(_ t: ContinuousClock.Instant) -> Double { left + (t - start).seconds / total * width }
        let lanes = stages.map { TraceRecorder.Track.stage($0) } + requests.map { .request($0) }
        let height = top + Double(lanes.count) * laneHeight + 24
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(left + width + 20))" height="\(Int(height))" font-family="sans-serif" font-size="10">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="12" font-size="11">LightServe pipeline, \(format(total)) s, \(requests.count) requests</text>

            """
        let step = niceTick(total)
        var tick = 0.0
        while tick <= total {
            let tx = left + tick / total * width
            svg += line(x1: tx, y1: 20, x2: tx, y2: height - 20, stroke: "#eee")
            svg += text(format(tick) + "s", x: tx, y: 28, fill: "#666", anchor: "middle")
            tick += step
        }
        for (row, lane) in lanes.enumerated() {
            let y = top + Double(row) * laneHeight
            let name: String
            switch lane {
            case .stage(let stage): name = stage
            case .request(let id): name = "\(id)"
            }
            svg += text(name, x: 4, y: y + 12, fill: "#333")
            let laneSpans = spans.filter { $0.track == lane }.sorted { ($0.name.hasPrefix("request") ? 0 : 1, $0.start) < ($1.name.hasPrefix("request") ? 0 : 1, $1.start) }
            for span in laneSpans {
                let x0 = x(span.start)
                let w = max(x(span.end) - x0, span.end > span.start ? 0.6 : 0)
                let title = tooltip(span, start)
                if w == 0 {
                    svg += rect(x: x0 - 1, y: y + 2, width: 2, height: laneHeight - 4, fill: colors[span.name] ?? "#333", title: title)
                } else {
                    let color = span.name.hasPrefix("step") ? stepColor(span) : (colors[span.name] ?? "#7fb800")
                    let stroke = span.name.hasPrefix("request") ? "#b8c4d6" : nil
                    svg += rect(x: x0, y: y + 2, width: w, height: laneHeight - 4, fill: color, stroke: stroke, title: title)
                    if span.name.hasPrefix("step"), let rows = span.arguments.first(where: { $0.0 == "rows" })?.1, w > 14 {
                        svg += text(rows, x: x0 + w / 2, y: y + 12, fill: "white", anchor: "middle", size: 9)
                    }
                }
            }
        }
        var lx = left
        for (label, color) in [("queued", "#c7ccd1"), ("tokenize", "#9b6bcc"), ("prefill", "#f0a03c"), ("decode", "#4a90d9"), ("engine step (rows)", "#2a7a3a"), ("first token", "#d0021b")] {
            svg += rect(x: lx, y: height - 16, width: 10, height: 10, fill: color)
            svg += text(label, x: lx + 14, y: height - 7, fill: "#333")
            lx += 40 + Double(label.count) * 6
        }
        return svg + "\n</svg>\n"
    }

    private static func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil, title: String? = nil
    ) -> String {
        var element = "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"\(fill)\""
        if let stroke { element += " stroke=\"\(stroke)\"" }
        if let title { return element + "><title>\(escape(title))</title></rect>\n" }
        return element + "/>\n"
    }

    private static func text(
        _ content: String, x: Double, y: Double, fill: String, anchor: String = "start", size: Int = 10
    ) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" fill=\"\(fill)\" text-anchor=\"\(anchor)\" font-size=\"\(size)\">\(escape(content))</text>\n"
    }

    private static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\"/>\n"
    }

    /// Engine steps shaded by how many rows they ran.
    private static func stepColor(_ span: TraceRecorder.Span) -> String {
        let rows = Int(span.arguments.first { $0.0 == "rows" }?.1 ?? "1") ?? 1
        let prefill = Int(span.arguments.first { $0.0 == "prefill_tokens" }?.1 ?? "0") ?? 0
        if prefill > 0 { return "#b8860b" }
        let shade = min(1.0, Double(rows) / 32)
        let g = Int(150 - 90 * shade), r = Int(70 - 40 * shade)
        return "rgb(\(r),\(g),\(Int(70 - 30 * shade)))"
    }

    private static func tooltip(_ span: TraceRecorder.Span, _ origin: ContinuousClock.Instant) -> String {
        let ms = (span.end - span.start).seconds * 1000
        let args = span.arguments.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        return "\(span.name) at \(format((span.start - origin).seconds)) s, \(format(ms)) ms \(args)"
    }

    private static func niceTick(_ total: Double) -> Double {
        let raw = total / 10
        let magnitude = pow10(floorLog10(raw))
        for m in [1.0, 2.0, 5.0, 10.0] where raw <= m * magnitude { return m * magnitude }
        return 10 * magnitude
    }

    private static func floorLog10(_ x: Double) -> Int {
        var e = 0
        var v = x
        while v >= 10 { v /= 10; e += 1 }
        while v < 1 && v > 0 { v *= 10; e -= 1 }
        return e
    }

    private static func pow10(_ e: Int) -> Double {
        e >= 0 ? (0..<e).reduce(1.0) { a, _ in a * 10 } : (0..<(-e)).reduce(1.0) { a, _ in a / 10 }
    }

    private static func f(_ v: Double) -> String { String(Double(Int((v * 10).rounded())) / 10) }

    private static func format(_ v: Double) -> String {
        let rounded = (v * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private static func escape(_ s: String) -> String {
        s.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }
}
