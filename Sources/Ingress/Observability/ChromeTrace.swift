import LightServeCore

/// Spans as Chrome trace events (the format Perfetto and chrome://tracing open): process 1 holds
/// one track per pipeline stage, process 2 one track per request.
enum ChromeTrace {
    static let stageOrder = ["ingress", "tokenize", "schedule", "execute", "detokenize"]

    /// A complete trace document.
    static func document(_ spans: [TraceRecorder.Span], origin: ContinuousClock.Instant) -> JSON {
        var tracks = Set<TraceRecorder.Track>()
        return .object([
            ("traceEvents", .array(events(spans, origin: origin, known: &tracks))),
            ("displayTimeUnit", "ms"),
        ])
    }

    /// Events for `spans`, preceded by naming metadata for tracks not in `known` (which grows).
    static func events(_ spans: [TraceRecorder.Span], origin: ContinuousClock.Instant, known: inout Set<TraceRecorder.Track>) -> [JSON] {
        var out: [JSON] = []
        if known.isEmpty {
            out.append(metadata("process_name", pid: 1, tid: 0, ["name": "pipeline stages"]))
            out.append(metadata("process_name", pid: 2, tid: 0, ["name": "requests"]))
            out.append(metadata("process_sort_index", pid: 1, tid: 0, ["sort_index": "1"]))
            out.append(metadata("process_sort_index", pid: 2, tid: 0, ["sort_index": "2"]))
        }
        for span in spans {
            let (pid, tid) = ids(span.track)
            if known.insert(span.track).inserted {
                out.append(metadata("thread_name", pid: pid, tid: tid, ["name": label(span.track)]))
                out.append(metadata("thread_sort_index", pid: pid, tid: tid, ["sort_index": String(tid)]))
            }
            let ts = microseconds(span.start - origin)
            var members: [(String, JSON)] = [
                ("name", .string(span.name)), ("cat", .string(pid == 1 ? "stage" : "request")), ("pid", .int(Int64(pid))),
                ("tid", .int(Int64(tid))), ("ts", .double(ts)),
            ]
            if span.end > span.start {
                members += [("ph", "X"), ("dur", .double(microseconds(span.end - span.start)))]
            } else {
                members += [("ph", "i"), ("s", "t")]
            }
            if !span.arguments.isEmpty { members.append(("args", .object(span.arguments.map { ($0.0, .string($0.1)) }))) }
            out.append(.object(members))
        }
        return out
    }

    static func ids(_ track: TraceRecorder.Track) -> (Int, Int) {
        switch track {
        case .stage(let name): (1, (stageOrder.firstIndex(of: name) ?? stageOrder.count) + 1)
        case .request(let id): (2, Int(truncatingIfNeeded: id.value))
        }
    }

    static func label(_ track: TraceRecorder.Track) -> String {
        switch track {
        case .stage(let name): name
        case .request(let id): "\(id)"
        }
    }

    private static func metadata(_ name: String, pid: Int, tid: Int, _ args: [String: String]) -> JSON {
        .object([
            ("name", .string(name)), ("ph", "M"), ("pid", .int(Int64(pid))), ("tid", .int(Int64(tid))),
            ("args", .object(args.map { ($0.key, $0.key == "sort_index" ? .int(Int64($0.value) ?? 0) : .string($0.value)) })),
        ])
    }

    static func microseconds(_ d: Duration) -> Double {
        (d.seconds * 1e6 * 1000).rounded() / 1000
    }
}
