/// Whole-grammar facts the front ends and the compiler check before building automata: which
/// rules can match the empty string, which can match anything at all, and whether some rule
/// reaches itself before consuming a byte (left recursion, which a stack-based matcher cannot
/// run: it would push frames forever).
struct GrammarAnalysis {
    let grammar: Grammar
    /// Per rule: it can match the empty string.
    let nullable: [Bool]
    /// Per rule: it can match at least one (finite) string.
    let productive: [Bool]

    init(_ grammar: Grammar) {
        self.grammar = grammar
        nullable = Self.fixpoint(grammar) { e, known in Self.isNullable(e, known) }
        productive = Self.fixpoint(grammar) { e, known in Self.isProductive(e, known) }
    }

    /// A cycle of rules (indices, first repeated at the end) in which each calls the next before
    /// consuming any byte, if there is one.
    func leftRecursion() -> [Int]? {
        let calls = grammar.rules.map { rule in
            var out: [Int] = []
            leftCalls(rule.body, into: &out)
            return out
        }
        // Iterative depth-first search with colours: 0 new, 1 on the stack, 2 done.
        var colour = [UInt8](repeating: 0, count: calls.count)
        for start in calls.indices where colour[start] == 0 {
            var path: [(rule: Int, next: Int)] = [(start, 0)]
            colour[start] = 1
            while let (rule, next) = path.last {
                guard next < calls[rule].count else {
                    colour[rule] = 2
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next += 1
                let callee = calls[rule][next]
                switch colour[callee] {
                case 0:
                    colour[callee] = 1
                    path.append((callee, 0))
                case 1:
                    let from = path.firstIndex { $0.rule == callee } ?? 0
                    return path[from...].map(\.rule) + [callee]
                default:
                    break
                }
            }
        }
        return nil
    }

    /// The rules `e` may call before it has consumed a byte.
    private func leftCalls(_ e: GrammarExpression, into out: inout [Int]) {
        switch e {
        case .bytes, .literal:
            break
        case .sequence(let parts):
            for part in parts {
                leftCalls(part, into: &out)
                if !Self.isNullable(part, nullable) { break }
            }
        case .choice(let parts):
            for part in parts { leftCalls(part, into: &out) }
        case .reference(let rule):
            out.append(rule)
        case .repetition(let body, _, let max):
            if max != 0 { leftCalls(body, into: &out) }
        }
    }

    private static func fixpoint(
        _ grammar: Grammar, _ holds: (GrammarExpression, [Bool]) -> Bool
    ) -> [Bool] {
        var known = [Bool](repeating: false, count: grammar.rules.count)
        var changed = true
        while changed {
            changed = false
            for (i, rule) in grammar.rules.enumerated() where !known[i] && holds(rule.body, known) {
                known[i] = true
                changed = true
            }
        }
        return known
    }

    static func isNullable(_ e: GrammarExpression, _ nullable: [Bool]) -> Bool {
        switch e {
        case .bytes: false
        case .literal(let bytes): bytes.isEmpty
        case .sequence(let parts): parts.allSatisfy { isNullable($0, nullable) }
        case .choice(let parts): parts.contains { isNullable($0, nullable) }
        case .reference(let rule): nullable[rule]
        case .repetition(let body, let min, let max): min == 0 || max == 0 || isNullable(body, nullable)
        }
    }

    private static func isProductive(_ e: GrammarExpression, _ productive: [Bool]) -> Bool {
        switch e {
        case .bytes(let set): !set.isEmpty
        case .literal: true
        case .sequence(let parts): parts.allSatisfy { isProductive($0, productive) }
        case .choice(let parts): parts.contains { isProductive($0, productive) }
        case .reference(let rule): productive[rule]
        case .repetition(let body, let min, let max): min == 0 || max == 0 || isProductive(body, productive)
        }
    }
}
