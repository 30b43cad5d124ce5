import Foundation
import LightServeCore
import ServiceLifecycle

/// Appends the trace to a Chrome trace-event file while the server runs (`--trace-file`), twice
/// a second and off the cooperative pool, and closes the JSON array on shutdown. The file is valid for Perfetto at any
/// moment: it accepts an array whose closing bracket is missing.
public struct TraceFileWriter: Service {
    let recorder: TraceRecorder
    let path: String

    public init(recorder: TraceRecorder, path: String) {
        self.recorder = recorder
        self.path = path
    }

    public func run() async throws {
        guard FileManager.default.createFile(atPath: path, contents: Data("[\n".utf8)),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        let file = TraceFile(recorder: recorder, handle: handle)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(500))
            await OffPoolWork.run { file.flush() }
        }
        try? await gracefulShutdown()
        await OffPoolWork.run {
            file.flush()
            handle.write(Data("\n]\n".utf8))
        }
    }
}

/// The trace file's writing state; used from the off-pool queue only, one flush at a time.
private final class TraceFile: @unchecked Sendable {
    let recorder: TraceRecorder
    let handle: FileHandle
    private var cursor: UInt64 = 0
    private var tracks = Set<TraceRecorder.Track>()
    private var first = true

    init(recorder: TraceRecorder, handle: FileHandle) {
        self.recorder = recorder
        self.handle = handle
    }

    /// Appends the spans recorded since the last flush.
    func flush() {
        let (spans, next) = recorder.spans(after: cursor)
        cursor = next
        let events = ChromeTrace.events(spans, origin: recorder.origin, known: &tracks)
        guard !events.isEmpty else { return }
        var text = ""
        for event in events {
            text += (first ? "" : ",\n") + event.serialized
            first = false
        }
        handle.write(Data(text.utf8))
    }
}
