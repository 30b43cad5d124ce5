import LightServeCore

/// Turns a request's ``OutputConstraint`` into the program its sequences start from: the
/// pattern becomes a ``Grammar`` (JSON Schema, regex, EBNF and literals composed as the pattern
/// says), compiled against the vocabulary through a ``GrammarCompiler`` (whose cache makes a
/// repeated constraint cost a lookup), and the activation becomes the state's form (from the
/// start, after a text, or at each trigger).
///
/// Thread-safe; `compile(_:)` runs on the caller's thread and can take tens of milliseconds for
/// a new schema, so the Tokenize stage runs it off its actor and off the engine thread.
public final class ConstraintCompiler: Sendable {
    public let grammars: GrammarCompiler
    /// Control tokens by their text: a trigger such as Mistral's `[TOOL_CALLS]` adds no bytes to
    /// the output, so it is recognised by its id.
    private let controlTokens: [[UInt8]: Int32]

    public init(_ grammars: GrammarCompiler) {
        self.grammars = grammars
        let vocabulary = grammars.vocabulary
        var control: [[UInt8]: Int32] = [:]
        for id in 0..<Int32(vocabulary.count) where vocabulary.isControl(id) {
            let text = Array(vocabulary.bytes(of: id))
            if control[text] == nil { control[text] = id }
        }
        self.controlTokens = control
    }

    /// The compiled constraint; a pattern that does not compile throws, saying where.
    public func compile(_ constraint: OutputConstraint) throws(GrammarError) -> CompiledConstraint {
        switch constraint.rule {
        case .allowedTokens(let ids):
            return CompiledConstraint(.allowList(ids, grammars.vocabulary))
        case .pattern(let pattern):
            let compiled = try grammars.compile(try Self.grammar(pattern))
            switch constraint.activation {
            case .immediately:
                return CompiledConstraint(.grammar(compiled))
            case .after(let text):
                return CompiledConstraint(.triggered(triggers(text), compiled, once: true))
            case .whenever(let texts):
                return CompiledConstraint(.triggered(texts.flatMap(triggers), compiled, once: false))
            }
        }
    }

    /// The grammar of a pattern.
    static func grammar(_ pattern: OutputConstraint.Pattern) throws(GrammarError) -> Grammar {
        switch pattern {
        case .jsonSchema(let schema): return try Grammar.jsonSchema(schema)
        case .jsonObject: return Grammar.anyJSON
        case .regex(let expression): return try Grammar.regex(expression)
        case .grammar(let source): return try Grammar.ebnf(source)
        case .literal(let text): return Grammar.literal(text)
        case .sequence(let parts): return Grammar.sequence(try parts.map { (p) throws(GrammarError) in try grammar(p) })
        case .oneOf(let options): return Grammar.choice(try options.map { (p) throws(GrammarError) in try grammar(p) })
        case .repetition(let inner, let min, let max): return try grammar(inner).repeated(min: min, max: max)
        }
    }

    /// A trigger text as the output shows it, and as a control token when it is one.
    private func triggers(_ text: String) -> [ConstraintState.Trigger] {
        let bytes = Array(text.utf8)
        return [.text(bytes)] + (controlTokens[bytes].map { [.token($0)] } ?? [])
    }
}

/// A compiled ``OutputConstraint``: what each of a request's sequences starts from.
public struct CompiledConstraint: TokenConstraintProgram {
    enum Start: Sendable {
        case grammar(CompiledGrammar)
        case allowList([Int32], TokenVocabulary)
        case triggered([ConstraintState.Trigger], CompiledGrammar, once: Bool)
    }

    let how: Start

    init(_ how: Start) {
        self.how = how
    }

    public func start() -> any TokenConstraint {
        switch how {
        case .grammar(let compiled): ConstraintState.grammar(compiled)
        case .allowList(let ids, let vocabulary): ConstraintState.allowing(ids, vocabulary: vocabulary)
        case .triggered(let triggers, let compiled, let once): ConstraintState.triggered(by: triggers, grammar: compiled, once: once)
        }
    }
}
