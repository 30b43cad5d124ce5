import LightServeCore

/// Splits a reasoning model's `<think>…</think>` block from its answer as the output streams
/// in, for the OpenAI API's `reasoning_content` and `content`.
///
/// The block is recognised once, at the start of the output (white space before it aside): a
/// `<think>` later in an answer is text. Models whose template opens the block in the prompt
/// (DeepSeek-R1 distills, QwQ, Qwen3 in thinking mode when the template writes `<think>`) start
/// inside it: pass `startsInReasoning`, which ``ReasoningTags/promptOpens(_:)`` reads off the prompt.
/// Text that could be the start of a tag is held back until the next delta settles it; the tags
/// never appear in either stream, and everything else is passed through as written. Like the
/// tool-call parser it works a code point at a time, so `parse` is the same machine fed once.
public struct ReasoningParser: Sendable {
    public let tags: ReasoningTags

    private enum State {
        /// At the start of the output: white space, then `<think>` or the answer.
        case start
        case reasoning
        case answer
    }

    private var state: State
    private var pending: [Unicode.Scalar] = []
    private var events: [ReasoningEvent] = []
    /// Text not yet made an event, all of one kind.
    private var run: [Unicode.Scalar] = []
    private var runIsReasoning = false
    private let open: [Unicode.Scalar]
    private let close: [Unicode.Scalar]

    public init(startsInReasoning: Bool, tags: ReasoningTags = .think) {
        self.tags = tags
        self.open = Array(tags.open.unicodeScalars)
        self.close = Array(tags.close.unicodeScalars)
        self.state = startsInReasoning ? .reasoning : .start
    }

    /// What `delta` (the next piece of output text) adds.
    public mutating func feed(_ delta: String) -> [ReasoningEvent] {
        for c in delta.unicodeScalars { process(c) }
        return take()
    }

    /// The rest, once the output has ended: held-back text goes where it was heading.
    public mutating func finish() -> [ReasoningEvent] {
        emit(pending, reasoning: state == .reasoning)
        pending = []
        return take()
    }

    /// The whole output at once: the same machine, fed one delta.
    public static func parse(_ text: String, startsInReasoning: Bool) -> (reasoning: String, content: String) {
        var parser = ReasoningParser(startsInReasoning: startsInReasoning)
        var (reasoning, content) = ("", "")
        for event in parser.feed(text) + parser.finish() {
            switch event {
            case .reasoning(let r): reasoning += r
            case .content(let c): content += c
            }
        }
        return (reasoning, content)
    }

    private mutating func process(_ c: Unicode.Scalar) {
        switch state {
        case .start:
            // White space, then the tag: the space before it goes with it.
            pending.append(c)
            let rest = pending.drop { $0.properties.isWhitespace }
            if rest.elementsEqual(open.prefix(rest.count)) {
                if rest.count == open.count {
                    pending = []
                    state = .reasoning
                }
                return
            }
            state = .answer
            emit(pending, reasoning: false)
            pending = []
        case .reasoning:
            pending.append(c)
            if pending.count >= close.count, pending.suffix(close.count).elementsEqual(close) {
                emit(Array(pending.dropLast(close.count)), reasoning: true)
                pending = []
                state = .answer
                return
            }
            var keep = min(close.count - 1, pending.count)
            while keep > 0, !pending.suffix(keep).elementsEqual(close.prefix(keep)) { keep -= 1 }
            emit(Array(pending.dropLast(keep)), reasoning: true)
            pending.removeFirst(pending.count - keep)
        case .answer:
            emit([c], reasoning: false)
        }
    }

    private mutating func emit(_ scalars: [Unicode.Scalar], reasoning: Bool) {
        guard !scalars.isEmpty else { return }
        if runIsReasoning != reasoning { flush() }
        runIsReasoning = reasoning
        run += scalars
    }

    /// Ends the run of text being joined into one event.
    private mutating func flush() {
        guard !run.isEmpty else { return }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: run)
        events.append(runIsReasoning ? .reasoning(String(view)) : .content(String(view)))
        run = []
    }

    private mutating func take() -> [ReasoningEvent] {
        flush()
        defer { events = [] }
        return events
    }
}
