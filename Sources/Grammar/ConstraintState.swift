import LightServeCore

/// What one sequence may sample next under its request's constraint, and how it moves on: the
/// value the scheduler carries per sequence (as the pipeline's ``TokenConstraint``) and the
/// sampler asks for a mask.
///
/// Four forms:
/// - `grammar(_:)`: the grammar applies from the first token (`guided_json`, `regular_constraint`,
///   `guided_grammar`, `response_format`);
/// - `allowing(_:vocabulary:)`: a fixed set of ids (`allowed_token_ids`, as LightLLM: only those
///   ids, end-of-sequence only if listed);
/// - `triggered(by:grammar:)`: free text (every token allowed) until the output ends with a
///   trigger at a token boundary (a token id such as Qwen's `<tool_call>`, or a byte string such
///   as `</think>`); then the grammar applies to what follows, and once it is complete (no byte
///   can follow) the text is free again, so several tool calls, or text after them, stay possible;
/// - `triggered(by:grammar:once:)` with `once`: free text until the first trigger, then the
///   grammar to the end (a single tool call; an answer after a reasoning block).
///
/// End-of-sequence ids are allowed wherever the form allows ending: in free text, where the
/// grammar can end, and (allow-list) if listed. A value: copy it to keep a state to roll back to.
public struct ConstraintState: Sendable {
    /// What starts a lazily applied grammar.
    public enum Trigger: Sendable, Hashable {
        /// This token id was sampled.
        case token(Int32)
        /// The output ends with these bytes (control tokens add no bytes).
        case text([UInt8])
    }

    private enum Mode: Sendable {
        case grammar(GrammarMatcher)
        case allowList(TokenMask, vocabulary: TokenVocabulary)
        /// `matcher` is nil while the text is free; `recent` holds the free text's last bytes.
        case triggered(CompiledGrammar, triggers: [Trigger], matcher: GrammarMatcher?, recent: [UInt8], once: Bool)
    }

    private var mode: Mode
    /// An end-of-sequence id was accepted; nothing more is.
    public private(set) var isTerminated = false

    private init(_ mode: Mode) {
        self.mode = mode
    }

    /// The grammar from the first token.
    public static func grammar(_ compiled: CompiledGrammar) -> ConstraintState {
        ConstraintState(.grammar(compiled.makeMatcher()))
    }

    /// Exactly these token ids (ids outside the vocabulary are ignored).
    public static func allowing(_ ids: some Sequence<Int32>, vocabulary: TokenVocabulary) -> ConstraintState {
        ConstraintState(.allowList(TokenMask(count: vocabulary.count, allowing: ids), vocabulary: vocabulary))
    }

    /// Free text until a trigger, then `grammar` until it is complete, then free again; with
    /// `once`, the grammar holds from the first trigger to the end.
    public static func triggered(by triggers: [Trigger], grammar: CompiledGrammar, once: Bool = false) -> ConstraintState {
        ConstraintState(.triggered(grammar, triggers: triggers, matcher: nil, recent: [], once: once))
    }

    /// Whether the next token is restricted at all (false in free text: the sampler may skip the
    /// mask).
    public var isConstraining: Bool {
        switch mode {
        case .grammar, .allowList: true
        case .triggered(_, _, let matcher, _, _): matcher != nil
        }
    }

    /// Whether an end-of-sequence id may come next.
    public var canEnd: Bool {
        guard !isTerminated else { return false }
        switch mode {
        case .grammar(let matcher): return matcher.canEnd
        case .allowList(let mask, let vocabulary): return vocabulary.endOfSequenceIDs.contains { mask.isAllowed($0) }
        case .triggered(_, _, let matcher, _, _): return matcher?.canEnd ?? true
        }
    }

    /// Whether only end-of-sequence can follow (a plain grammar that is complete), or the
    /// sequence has ended.
    public var isComplete: Bool {
        if isTerminated { return true }
        if case .grammar(let matcher) = mode { return matcher.isComplete }
        return false
    }

    /// Sets `mask` to the tokens allowed next. `mask.count` must cover the vocabulary.
    public func fillMask(_ mask: inout TokenMask) {
        guard !isTerminated else {
            mask.removeAll()
            return
        }
        switch mode {
        case .grammar(let matcher):
            matcher.fillMask(&mask)
        case .allowList(let allowed, _):
            mask.removeAll()
            allowed.withUnsafeWords { mask.formUnion($0) }
        case .triggered(let grammar, _, let matcher, _, _):
            if let matcher {
                matcher.fillMask(&mask)
            } else {
                mask.allowAll(below: grammar.vocabulary.count)
            }
        }
    }

    /// Advances past `token`; false (and no change) if it is not allowed here.
    @discardableResult
    public mutating func accept(_ token: Int32) -> Bool {
        guard !isTerminated else { return false }
        switch mode {
        case .grammar(var matcher):
            guard matcher.accept(token) else { return false }
            isTerminated = matcher.isTerminated
            mode = .grammar(matcher)
            return true
        case .allowList(let allowed, let vocabulary):
            guard allowed.isAllowed(token) else { return false }
            isTerminated = vocabulary.isEndOfSequence(token)
            return true
        case .triggered(let grammar, let triggers, var matcher, var recent, let once):
            let vocabulary = grammar.vocabulary
            guard token >= 0, Int(token) < vocabulary.count else { return false }
            if var active = matcher {
                guard active.accept(token) else { return false }
                isTerminated = active.isTerminated
                if active.isComplete && !active.isTerminated {
                    matcher = nil
                    recent = []
                } else {
                    matcher = active
                }
                mode = .triggered(grammar, triggers: triggers, matcher: matcher, recent: recent, once: once)
                return true
            }
            if vocabulary.isEndOfSequence(token) {
                isTerminated = true
                return true
            }
            if !vocabulary.isControl(token) {
                recent.append(contentsOf: vocabulary.bytes(of: token))
                let keep = triggers.reduce(0) { if case .text(let t) = $1 { max($0, t.count) } else { $0 } }
                if recent.count > keep { recent.removeFirst(recent.count - keep) }
            }
            let fired = triggers.contains {
                switch $0 {
                case .token(let id): id == token
                case .text(let text): !text.isEmpty && recent.count >= text.count && recent.suffix(text.count).elementsEqual(text)
                }
            }
            if fired && once {
                mode = .grammar(grammar.makeMatcher())
                return true
            }
            if fired {
                matcher = grammar.makeMatcher()
                recent = []
            }
            mode = .triggered(grammar, triggers: triggers, matcher: matcher, recent: recent, once: once)
            return true
        }
    }
}

extension ConstraintState: TokenConstraint {
    public func allows(_ token: Int32) -> Bool {
        var next = self
        return next.accept(token)
    }
}
