/// Reads one choice's text back as ``OutputParsing`` says, piece by piece as tokens arrive, so a
/// streamed choice and a collected one are read by the same machine and cannot disagree.
struct OutputReader {
    /// What a piece of generated text turned into for the client.
    struct Reading: Equatable {
        /// Reasoning text (`reasoning_content`).
        var reasoning = ""
        /// Answer text.
        var content = ""
        /// Tool calls begun, continued and ended, in order.
        var toolCalls: [ToolCallEvent] = []

        mutating func append(_ other: Reading) {
            reasoning += other.reasoning
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

    private var reasoning: ReasoningParser?
    private var toolCalls: ToolCallParser?

    /// - Parameter startsInReasoning: the prompt left the model inside its reasoning block
    ///   (``RequestEvent/reasoningOpened``).
    init(_ parsing: OutputParsing, startsInReasoning: Bool = false) {
        reasoning = parsing.reasoning.map { ReasoningParser(startsInReasoning: startsInReasoning, tags: $0) }
        toolCalls = parsing.toolCalls.map { ToolCallParser(format: $0, toolNames: parsing.toolNames) }
    }

    /// The reading of the next piece of text: reasoning split off first, the answer then read
    /// for tool calls.
    mutating func read(_ text: String) -> Reading {
        guard var parser = reasoning else { return answer(text) }
        defer { reasoning = parser }
        return split(parser.feed(text))
    }

    /// Whatever was held back, once the choice has ended.
    mutating func finish() -> Reading {
        var reading = Reading()
        if var parser = reasoning {
            reading = split(parser.finish())
            reasoning = parser
        }
        if var parser = toolCalls {
            reading.append(Self.reading(parser.finish()))
            toolCalls = parser
        }
        return reading
    }

    /// The whole of a finished choice's text, read at once.
    static func read(_ text: String, as parsing: OutputParsing, startsInReasoning: Bool = false) -> Reading {
        var reader = OutputReader(parsing, startsInReasoning: startsInReasoning)
        var reading = reader.read(text)
        reading.append(reader.finish())
        return reading
    }

    private mutating func split(_ events: [ReasoningEvent]) -> Reading {
        var reading = Reading()
        for event in events {
            switch event {
            case .reasoning(let text): reading.reasoning += text
            case .content(let text): reading.append(answer(text))
            }
        }
        return reading
    }

    private mutating func answer(_ text: String) -> Reading {
        guard var parser = toolCalls else { return Reading(content: text) }
        defer { toolCalls = parser }
        return Self.reading(parser.feed(text))
    }

    private static func reading(_ events: [ToolCallEvent]) -> Reading {
        var reading = Reading()
        for event in events {
            if case .content(let text) = event { reading.content += text } else { reading.toolCalls.append(event) }
        }
        return reading
    }
}
