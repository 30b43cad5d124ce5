/// Splits a model's output into answer text and tool calls as it streams in, for the OpenAI API's
/// `content` and `tool_calls`.
///
/// Fed text deltas as tokens arrive, it returns what can be said so far: content deltas, and for
/// each call its start (index, a fresh `call_…` id, the name) once the name is known, its
/// arguments JSON as it is written, and its end. It works a code point at a time, so how the
/// output is cut into deltas never changes the result: `parse` is the same machine fed once.
///
/// - Call markup (triggers, `</tool_call>`, Mistral's list brackets) never appears as content;
///   text that could be the start of a trigger (`<tool_` or a trailing space) is held back until
///   the next delta settles it.
/// - White space between content and a call belongs to the markup: it is dropped.
/// - A call whose JSON does not parse up to its name (`<tool_call>not json`), or that the output
///   ends inside before its name, turns back into content, trigger included, as vLLM returns
///   it. Once announced, a call stays a call: its arguments are what the model wrote, and a
///   call cut short by the token limit keeps what it has.
public struct ToolCallParser: Sendable {
    public let format: ToolCallFormat
    /// The functions the request offered; an object naming another function is not a call.
    /// Nil takes any name.
    public let toolNames: Set<String>?
    private let makeCallID: @Sendable (Int) -> String

    private enum State {
        /// Answer text, watching for a trigger.
        case content
        /// Mistral, after `[TOOL_CALLS]`: a list of calls or one call.
        case sectionOpen
        /// Inside call `index`'s JSON object; `announced` once its start was emitted.
        case call(ToolCallObjectScanner, index: Int, announced: Bool, inList: Bool)
        /// Hermes, after a call's object: `</tool_call>`, `matched` code points of it so far.
        case callClose(matched: Int)
        /// After a call's object: Llama's `;` or a Mistral list's `,` / `]`.
        case between(inList: Bool)
    }

    private var state = State.content
    /// Content held back: trailing white space and a possible start of a trigger.
    private var pending: [Unicode.Scalar] = []
    /// The text of the call not yet announced (with the white space dropped before its
    /// trigger), given back as content if it turns out not to be a call.
    private var held: [Unicode.Scalar] = []
    /// Arguments written before the name, emitted when the call is announced.
    private var heldArguments: [Unicode.Scalar] = []
    /// Nothing but white space so far: Llama's bare `{` counts as a trigger only then.
    private var atStart = true
    /// Right after a call: white space is markup, not content.
    private var skipSpace = false
    private var callCount = 0
    private var events = EventBuffer()

    private let triggers: [(trigger: ToolCallTrigger, text: [Unicode.Scalar])]
    private static let hermesClose = Array("</tool_call>".unicodeScalars)

    /// - Parameter makeCallID: the id of call `index` (random `call_…` ids by default; tests
    ///   pass fixed ones).
    public init(
        format: ToolCallFormat, toolNames: Set<String>? = nil,
        makeCallID: @escaping @Sendable (Int) -> String = ToolCallParser.randomCallID
    ) {
        self.format = format
        self.toolNames = toolNames
        self.makeCallID = makeCallID
        self.triggers = format.triggers.map { ($0, Array($0.text.unicodeScalars)) }
    }

    /// `call_` and 24 random letters and digits, as OpenAI's ids look.
    public static func randomCallID(_ index: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".unicodeScalars)
        var generator = SystemRandomNumberGenerator()
        var id = "call_"
        for _ in 0..<24 { id.unicodeScalars.append(alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))]) }
        return id
    }

    /// What `delta` (the next piece of output text) adds.
    public mutating func feed(_ delta: String) -> [ToolCallEvent] {
        for c in delta.unicodeScalars { process(c) }
        return events.take()
    }

    /// The rest, once the output has ended: held-back text, an unfinished call's fate.
    public mutating func finish() -> [ToolCallEvent] {
        switch state {
        case .content:
            emitContent(pending)
            pending = []
        case .sectionOpen, .call(_, _, announced: false, _):
            revert()
        case .call(_, let index, announced: true, _):
            events.append(.callEnd(index: index))
        case .callClose, .between:
            break
        }
        state = .content
        return events.take()
    }

    /// The whole output at once: the same machine, fed one delta.
    public static func parse(
        _ text: String, format: ToolCallFormat, toolNames: Set<String>? = nil,
        makeCallID: @escaping @Sendable (Int) -> String = randomCallID
    ) -> ParsedToolCalls {
        var parser = ToolCallParser(format: format, toolNames: toolNames, makeCallID: makeCallID)
        var result = ParsedToolCalls()
        result.apply(parser.feed(text))
        result.apply(parser.finish())
        return result
    }

    // MARK: The machine

    private mutating func process(_ c: Unicode.Scalar) {
        switch state {
        case .content:
            processContent(c)
        case .sectionOpen:
            if Self.isSpace(c) || c == "[" {
                held.append(c)
                if c == "[" { state = .call(ToolCallObjectScanner(), index: callCount, announced: false, inList: true) }
            } else if c == "{" {
                state = .call(ToolCallObjectScanner(), index: callCount, announced: false, inList: false)
                process(c)
            } else {
                revert()
                process(c)
            }
        case .call(var scanner, let index, let announced, let inList):
            processCall(c, &scanner, index: index, announced: announced, inList: inList)
        case .callClose(let matched):
            if matched == 0 && Self.isSpace(c) { return }
            if c == Self.hermesClose[matched] {
                state = matched + 1 == Self.hermesClose.count ? .content : .callClose(matched: matched + 1)
                return
            }
            // Not the closing tag after all: what matched of it is text.
            state = .content
            for m in Self.hermesClose[..<matched] { process(m) }
            process(c)
        case .between(let inList):
            if Self.isSpace(c) {
                held.append(c)
            } else if (inList && c == ",") || (!inList && c == ";") {
                held.append(c)
                state = .call(ToolCallObjectScanner(), index: callCount, announced: false, inList: inList)
            } else {
                held = []
                state = .content
                if !(inList && c == "]") { process(c) }
            }
        }
    }

    private mutating func processContent(_ c: Unicode.Scalar) {
        if skipSpace && Self.isSpace(c) { return }
        skipSpace = false
        pending.append(c)
        if let trigger = completedTrigger() {
            var before = pending.dropLast(trigger.text.count)
            var space: [Unicode.Scalar] = []
            while let last = before.last, Self.isSpace(last) {
                space.insert(last, at: 0)
                before.removeLast()
            }
            emitContent(Array(before))
            pending = []
            held = space + (trigger.trigger.opensCall ? [] : trigger.text)
            switch format.family {
            case .mistral:
                state = .sectionOpen
            case .hermes, .llama3JSON:
                state = .call(ToolCallObjectScanner(), index: callCount, announced: false, inList: false)
                if trigger.trigger.opensCall {
                    for t in trigger.text { process(t) }
                }
            }
            return
        }
        let keep = heldBackCount()
        emitContent(Array(pending.dropLast(keep)))
        pending.removeFirst(pending.count - keep)
    }

    private mutating func processCall(
        _ c: Unicode.Scalar, _ scanner: inout ToolCallObjectScanner, index: Int, announced: Bool, inList: Bool
    ) {
        let step = scanner.step(c)
        var announced = announced
        switch step {
        case .invalid:
            guard announced else {
                revert()
                process(c)
                return
            }
            // The object broke off after its name: the call ends here, the rest is read anew.
            events.append(.callEnd(index: index))
            endCall(inList: inList)
            process(c)
            return
        case .structure, .closed:
            if !announced { held.append(c) }
        case .arguments:
            if announced {
                events.appendArguments(index: index, [c])
            } else {
                held.append(c)
                heldArguments.append(c)
            }
        }
        if !announced, let name = scanner.name, toolNames.map({ !$0.contains(name) }) == true {
            // A function the request did not offer: what looked like a call is text.
            revert()
            return
        }
        if !announced, let name = scanner.name, scanner.argumentsStarted || step == .closed {
            callCount += 1
            atStart = false
            events.append(.callStart(index: index, id: makeCallID(index), name: name))
            if scanner.argumentsStarted {
                if !heldArguments.isEmpty { events.appendArguments(index: index, heldArguments) }
            } else {
                events.appendArguments(index: index, Array("{}".unicodeScalars))
            }
            held = []
            heldArguments = []
            announced = true
        }
        guard step == .closed else {
            state = .call(scanner, index: index, announced: announced, inList: inList)
            return
        }
        guard announced else {
            // An object without a name is not a call.
            revert()
            return
        }
        events.append(.callEnd(index: index))
        endCall(inList: inList)
    }

    /// The state after a call's object; white space that follows is markup.
    private mutating func endCall(inList: Bool) {
        held = []
        skipSpace = true
        switch format.family {
        case .hermes: state = .callClose(matched: 0)
        case .llama3JSON: state = .between(inList: false)
        case .mistral: state = inList ? .between(inList: true) : .content
        }
    }

    /// Gives the text of a call that was not one back as content.
    private mutating func revert() {
        emitContent(held)
        held = []
        heldArguments = []
        state = .content
    }

    private mutating func emitContent(_ scalars: [Unicode.Scalar]) {
        guard !scalars.isEmpty else { return }
        if scalars.contains(where: { !Self.isSpace($0) }) { atStart = false }
        events.appendContent(scalars)
    }

    /// The trigger that `pending` now ends with, if one may start here.
    private func completedTrigger() -> (trigger: ToolCallTrigger, text: [Unicode.Scalar])? {
        triggers.first { candidate in
            guard pending.count >= candidate.text.count, pending.suffix(candidate.text.count).elementsEqual(candidate.text) else {
                return false
            }
            return !candidate.trigger.onlyAtStart || (atStart && pending.dropLast(candidate.text.count).allSatisfy(Self.isSpace))
        }
    }

    /// How much of `pending`'s end to hold back: the longest start of a trigger it ends with,
    /// and the white space before that.
    private func heldBackCount() -> Int {
        var keep = 0
        for (trigger, text) in triggers where !trigger.onlyAtStart || atStart {
            for length in stride(from: min(text.count - 1, pending.count), to: keep, by: -1)
            where pending.suffix(length).elementsEqual(text.prefix(length)) {
                keep = length
                break
            }
        }
        while keep < pending.count, Self.isSpace(pending[pending.count - keep - 1]) { keep += 1 }
        return keep
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\n" || c == "\r" || c == "\t"
    }
}

/// Events in order, consecutive content and argument pieces joined into one event.
private struct EventBuffer {
    private var events: [ToolCallEvent] = []
    /// The run being joined: content (`runIndex` nil) or call `runIndex`'s arguments.
    private var run: [Unicode.Scalar] = []
    private var runIndex: Int?
    private var hasRun = false

    mutating func append(_ event: ToolCallEvent) {
        flush()
        events.append(event)
    }

    mutating func appendContent(_ scalars: [Unicode.Scalar]) {
        extendRun(index: nil, scalars)
    }

    mutating func appendArguments(index: Int, _ scalars: [Unicode.Scalar]) {
        extendRun(index: index, scalars)
    }

    mutating func take() -> [ToolCallEvent] {
        flush()
        defer { events = [] }
        return events
    }

    private mutating func extendRun(index: Int?, _ scalars: [Unicode.Scalar]) {
        if hasRun && runIndex != index { flush() }
        hasRun = true
        runIndex = index
        run += scalars
    }

    private mutating func flush() {
        guard hasRun else { return }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: run)
        let text = String(view)
        events.append(runIndex.map { .arguments(index: $0, delta: text) } ?? .content(text))
        run = []
        hasRun = false
    }
}
