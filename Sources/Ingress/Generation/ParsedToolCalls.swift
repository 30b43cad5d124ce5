/// Events folded into the whole answer: what a non-streaming response carries.
public struct ParsedToolCalls: Sendable, Equatable {
    public var content = ""
    public var calls: [ToolCall] = []

    public init() {}

    public init(content: String, calls: [ToolCall]) {
        self.content = content
        self.calls = calls
    }

    public mutating func apply(_ event: ToolCallEvent) {
        switch event {
        case .content(let text):
            content += text
        case .callStart(let index, let id, let name):
            guard index == calls.count else { return }
            calls.append(ToolCall(id: id, name: name, arguments: ""))
        case .arguments(let index, let delta):
            guard calls.indices.contains(index) else { return }
            calls[index].arguments += delta
        case .callEnd:
            break
        }
    }

    public mutating func apply(_ events: [ToolCallEvent]) {
        for event in events { apply(event) }
    }
}
