/// A context-free grammar over bytes: what a constrained generation may output. A value,
/// independent of any vocabulary; `GrammarCompiler` turns it into a `CompiledGrammar` for one
/// model's tokens.
///
/// Grammars come from the front ends (`ebnf(_:root:)`, `regex(_:)`, `jsonSchema(_:)`,
/// `anyJSON`) and compose: `+` concatenates, `|` alternates, `repeated(min:max:)` repeats, and
/// `literal(_:)` is a fixed string, so a tool-call grammar is
/// `.literal("<tool_call>\n") + schemaGrammar + .literal("\n</tool_call>")`. Rules refer to
/// each other by position, so grammars with the same rule names compose without clashes.
/// Equal grammars (same rules, same structure) compile once in a `GrammarCompiler`'s cache.
public struct Grammar: Sendable, Hashable {
    struct Rule: Sendable, Hashable {
        /// For messages and debugging; never used to resolve references.
        var name: String
        var body: GrammarExpression
        /// Kept as its own automaton even when small or used once, so its token masks are shared
        /// by every grammar that contains the same rule (JSON strings, numbers, whitespace).
        var isShared = false
    }

    var rules: [Rule]
    var root: Int

    init(rules: [Rule], root: Int) {
        self.rules = rules
        self.root = root
    }

    /// A grammar of one rule.
    init(name: String, _ body: GrammarExpression) {
        self.init(rules: [Rule(name: name, body: body)], root: 0)
    }

    /// Exactly this text (its UTF-8 bytes).
    public static func literal(_ text: String) -> Grammar {
        Grammar(name: "literal", .text(text))
    }

    /// Exactly these bytes.
    public static func literal(bytes: [UInt8]) -> Grammar {
        Grammar(name: "literal", .literal(bytes))
    }

    /// The empty string only.
    public static let empty = Grammar(name: "empty", .empty)

    /// Each grammar's output in turn.
    public static func sequence(_ parts: [Grammar]) -> Grammar {
        combining(parts, name: "sequence") { .sequence($0) }
    }

    /// The output of any one of the grammars.
    public static func choice(_ options: [Grammar]) -> Grammar {
        combining(options, name: "choice") { .choice($0) }
    }

    public static func + (a: Grammar, b: Grammar) -> Grammar {
        sequence([a, b])
    }

    public static func | (a: Grammar, b: Grammar) -> Grammar {
        choice([a, b])
    }

    /// This grammar's output `min` to `max` times in a row (`max: nil` for no bound). Large
    /// bounds are expanded when compiled and may fail there with `GrammarError.tooComplex`.
    public func repeated(min: Int = 0, max: Int? = nil) -> Grammar {
        let low = Swift.max(min, 0)
        let high = max.map { Swift.max($0, low) }
        return Grammar.combining([self], name: "repeat") { .repetition($0[0], min: low, max: high) }
    }

    /// This grammar's output or nothing.
    public var optional: Grammar {
        repeated(min: 0, max: 1)
    }

    /// The grammars' rules side by side (names made unique), with a new root built from
    /// references to each part's root.
    private static func combining(
        _ parts: [Grammar], name: String, _ root: ([GrammarExpression]) -> GrammarExpression
    ) -> Grammar {
        var rules: [Rule] = []
        var names = Set<String>()
        var roots: [GrammarExpression] = []
        func unique(_ base: String) -> String {
            var candidate = base
            var n = 2
            while names.contains(candidate) {
                candidate = "\(base)-\(n)"
                n += 1
            }
            names.insert(candidate)
            return candidate
        }
        for part in parts {
            let offset = rules.count
            for rule in part.rules {
                rules.append(Rule(name: unique(rule.name), body: rule.body.shifted(by: offset), isShared: rule.isShared))
            }
            roots.append(.reference(part.root + offset))
        }
        rules.append(Rule(name: unique(name), body: root(roots)))
        return Grammar(rules: rules, root: rules.count - 1)
    }
}
