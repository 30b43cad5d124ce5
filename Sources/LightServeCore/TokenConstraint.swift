/// A compiled ``OutputConstraint``: immutable, shared by every sequence that uses it, and the
/// maker of each sequence's ``TokenConstraint`` state. The Tokenize stage compiles it; the
/// scheduler starts one state per sequence; the sampler consults that state next to the logits.
public protocol TokenConstraintProgram: Sendable {
    /// The state at the start of a sequence's output.
    func start() -> any TokenConstraint
}

/// One sequence's position in a constraint: which tokens may come next, advanced by each token
/// the sequence generates. A value: a copy is a saved position to return to.
public protocol TokenConstraint: Sendable {
    /// Whether `token` may come next; for the sampler's fast path, which tries the most likely
    /// tokens one by one before it builds a whole mask.
    func allows(_ token: Int32) -> Bool
    /// Sets exactly the tokens that may come next in `mask` (end-of-sequence tokens included
    /// exactly where the constraint lets the output end) and clears the others.
    func fillMask(_ mask: inout TokenMask)
    /// Moves past `token`; false, and no change, if `token` may not come next.
    mutating func accept(_ token: Int32) -> Bool
    /// The constraint took an end-of-sequence token: nothing may follow, so the sequence ends
    /// there even when the request ignores end-of-sequence tokens.
    var isTerminated: Bool { get }
}
