/// Everything the sampler of one sequence remembers between steps: its parameters, what it
/// generated (for penalties and `min_new_tokens`) and its random stream. Owned by the scheduler
/// and carried in each step, so the engine keeps no per-sequence state.
public struct SamplingState: Sendable {
    public var parameters: SamplingParameters
    /// Tokens that end generation, masked until `minNewTokens` allows them.
    public var stopTokens: [Int32]
    /// How often each token was generated so far; kept only when a penalty reads it, so a
    /// request without penalties carries an empty table between stages.
    public var counts: [Int32: Int] = [:]
    public var generated = 0
    /// The random stream's position.
    public var randomState: UInt64
    /// Where the sequence stands in its output constraint (structured generation), if it has one.
    public var constraint: (any TokenConstraint)?

    /// A fresh state; without a seed the random stream starts anywhere.
    public init(
        parameters: SamplingParameters, stopTokens: [Int32], seedOffset: UInt64 = 0, constraint: (any TokenConstraint)? = nil
    ) {
        self.parameters = parameters
        self.stopTokens = stopTokens
        self.constraint = constraint
        var system = SystemRandomNumberGenerator()
        self.randomState = (parameters.seed ?? system.next()) &+ seedOffset &* 0x9E37_79B9_7F4A_7C15
    }
}
