/// Reads one choice's text back as ``OutputParsing`` says, piece by piece as tokens arrive, so a
/// streamed choice and a collected one are read by the same machine and cannot disagree.
struct OutputReader {
    /// What a piece of generated text turned into for the client.
    struct Reading: Equatable {
        /// Answer text.
        var content = ""
        /// Tool calls begun, continued and ended, in order.
        var toolCalls: [ToolCallEvent] = []

        mutating func append(_ other: Reading) {
            content += other.content
            toolCalls += other.toolCalls
        }

        /// The content and the calls the events add up to.
        var parsedToolCalls: ParsedToolCalls {
            var parsed = ParsedToolCalls()
            parsed.apply(toolCalls)
            parsed.content = content
            return parsed
        }
    }

    private var toolCalls: ToolCallParser?

    init(_ parsing: OutputParsing) {
        toolCalls = parsing.toolCalls.map { ToolCallParser(format: $0, toolNames: parsing.toolNames) }
    }

    /// The reading of the next piece of text.
    mutating func read(_ text: String) -> Reading {
        guard var parser = toolCalls else { return Reading(content: text) }
        defer { toolCalls = parser }
        return Self.reading(parser.feed(text))
    }

    /// Whatever was held back, once the choice has ended.
    mutating func finish() -> Reading {
        guard var parser = toolCalls else { return Reading() }
        defer { toolCalls = parser }
        return Self.reading(parser.finish())
    }

    /// The whole of a finished choice's text, read at once.
    static func read(_ text: String, as parsing: OutputParsing) -> Reading {
        var reader = OutputReader(parsing)
        var reading = reader.read(text)
        reading.append(reader.finish())
        return reading
    }

    private static func reading(_ events: [ToolCallEvent]) -> Reading {
        var reading = Reading()
        for event in events {
            if case .content(let text) = event { reading.content += text } else { reading.toolCalls.append(event) }
        }
        return reading
    }
}
