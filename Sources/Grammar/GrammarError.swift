/// Why a grammar could not be built or compiled, and where in its source.
public enum GrammarError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An EBNF grammar is malformed: 1-based line and column (in characters) of the problem.
    case ebnf(line: Int, column: Int, reason: String)
    /// A regular expression is malformed or uses an unsupported construct: 0-based offset in
    /// Unicode scalars from the start of the pattern.
    case regex(offset: Int, reason: String)
    /// A JSON Schema uses something that cannot be enforced exactly: the JSON pointer of the
    /// keyword (e.g. `/properties/age/multipleOf`) and why.
    case jsonSchema(pointer: String, reason: String)
    /// Compiling would take more memory or time than the documented limits allow (huge
    /// repetition counts, automata that blow up, too many token masks).
    case tooComplex(String)
    /// The grammar cannot be used: it matches no string, or a rule calls itself before consuming
    /// any byte (left recursion) so no parser state could be built.
    case unusable(String)

    public var description: String {
        switch self {
        case .ebnf(let line, let column, let reason): "grammar error at line \(line), column \(column): \(reason)"
        case .regex(let offset, let reason): "regex error at offset \(offset): \(reason)"
        case .jsonSchema(let pointer, let reason): "JSON Schema error at \(pointer.isEmpty ? "the root" : pointer): \(reason)"
        case .tooComplex(let reason): "grammar too complex: \(reason)"
        case .unusable(let reason): "unusable grammar: \(reason)"
        }
    }
}
