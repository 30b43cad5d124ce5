import HTTPTypes
import LightServeCore
import NIOCore

/// Server-sent-event framing, the one difference being the prefix: LightLLM's server writes
/// `data:{...}`, OpenAI's `data: {...}` and ends with `data: [DONE]`.
struct EventStreamFormat: Sendable {
    let prefix: String

    static let lightLLM = EventStreamFormat(prefix: "data:")
    static let openAI = EventStreamFormat(prefix: "data: ")

    /// The response headers of an event stream.
    static let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]

    /// One event carrying `value`.
    func event(_ value: JSON) -> ByteBuffer {
        ByteBuffer(string: prefix + value.serialized + "\n\n")
    }

    /// OpenAI's end-of-stream marker.
    var done: ByteBuffer { ByteBuffer(string: prefix + "[DONE]\n\n") }
}
