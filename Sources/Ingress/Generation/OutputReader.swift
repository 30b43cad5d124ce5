/// Reads one choice's text back as ``OutputParsing`` says, piece by piece as tokens arrive, so a
/// streamed choice and a collected one are read by the same machine and cannot disagree.
struct OutputReader {
    /// What a piece of generated text turned into for the client.
    struct Reading: Equatable {
        /// Answer text.
        var content = ""

        mutating func append(_ other: Reading) {
            content += other.content
        }
    }

    let parsing: OutputParsing

    init(_ parsing: OutputParsing) {
        self.parsing = parsing
    }

    /// The reading of the next piece of text.
    mutating func read(_ text: String) -> Reading {
        Reading(content: text)
    }

    /// Whatever was held back, once the choice has ended.
    mutating func finish() -> Reading {
        Reading()
    }

    /// The whole of a finished choice's text, read at once.
    static func read(_ text: String, as parsing: OutputParsing) -> Reading {
        var reader = OutputReader(parsing)
        var reading = reader.read(text)
        reading.append(reader.finish())
        return reading
    }
}
