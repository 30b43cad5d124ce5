/// The body of a grammar rule: an expression over bytes (UTF-8 for text) and references to
/// other rules of the same `Grammar`, by index.
indirect enum GrammarExpression: Hashable, Sendable {
    /// One byte from the set (an empty set matches nothing).
    case bytes(ByteSet)
    /// These bytes in order.
    case literal([UInt8])
    /// Each part in turn; no parts is the empty string.
    case sequence([GrammarExpression])
    /// Any one alternative; no alternatives matches nothing.
    case choice([GrammarExpression])
    /// The rule at this index of the grammar's rules.
    case reference(Int)
    /// The body `min` to `max` times (`nil`: no upper bound).
    case repetition(GrammarExpression, min: Int, max: Int?)

    /// The empty string.
    static let empty = GrammarExpression.sequence([])

    /// The text as UTF-8 bytes.
    static func text(_ s: String) -> GrammarExpression {
        .literal(Array(s.utf8))
    }

    static func optional(_ e: GrammarExpression) -> GrammarExpression {
        .repetition(e, min: 0, max: 1)
    }

    /// The expression with every rule index moved by `offset` (when its grammar's rules are
    /// appended after others).
    func shifted(by offset: Int) -> GrammarExpression {
        guard offset != 0 else { return self }
        switch self {
        case .bytes, .literal: return self
        case .sequence(let parts): return .sequence(parts.map { $0.shifted(by: offset) })
        case .choice(let parts): return .choice(parts.map { $0.shifted(by: offset) })
        case .reference(let rule): return .reference(rule + offset)
        case .repetition(let body, let min, let max): return .repetition(body.shifted(by: offset), min: min, max: max)
        }
    }

    /// Calls `visit` with every rule index the expression refers to (once per occurrence).
    func forEachReference(_ visit: (Int) -> Void) {
        switch self {
        case .bytes, .literal: break
        case .sequence(let parts), .choice(let parts): for p in parts { p.forEachReference(visit) }
        case .reference(let rule): visit(rule)
        case .repetition(let body, _, let max): if max != 0 { body.forEachReference(visit) }
        }
    }
}
