/// What an engine step costs against the rows it runs, relative to a one-row decode step,
/// measured by the engine on its own machine and model (``rows`` and ``costs``), and what one
/// token of a draft model costs on the same scale.
///
/// The cost of rows is not a straight line: one row's step is bound by reading the weights, a few
/// more rows add their arithmetic, and the matrix kernels change path with the row count (a fused
/// kernel for few rows, an integer GEMM for many, whose cost stays nearly flat over a range of
/// rows). Speculative decoding weighs each draft length against this curve.
public struct StepCostProfile: Sendable, Equatable {
    /// Row counts measured, ascending, starting at 1.
    public var rows: [Int]
    /// The cost of a step of `rows[i]` rows over a one-row step's (`costs[0]` is 1).
    public var costs: [Double]
    /// One token of the draft model (a one-row step of it) over a one-row step of the model; 0
    /// for prompt lookup, which costs nothing measurable.
    public var draftTokenCost: Double

    public init(rows: [Int], costs: [Double], draftTokenCost: Double = 0) {
        precondition(rows.count == costs.count && rows.first == 1 && zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 },
                     "a step cost profile needs ascending row counts from 1, one cost each")
        self.rows = rows
        self.costs = costs
        self.draftTokenCost = draftTokenCost
    }

    /// The cost of a step of `count` rows: interpolated between the measured counts, and beyond
    /// the widest in proportion to the rows (as if arithmetic bound: the cautious guess, since the
    /// kernels' curve is not smooth enough to extend a slope — on Qwen2.5-Coder-1.5B with 2
    /// threads 8 rows measured 4.8 and 16 rows 4.3, whose slope made 40 rows look free).
    public func cost(rows count: Int) -> Double {
        let r = Double(max(count, 1))
        guard let upper = rows.firstIndex(where: { $0 >= count }) else {
            return costs[costs.count - 1] * r / Double(rows[rows.count - 1])
        }
        guard upper > 0, rows[upper] != count else { return costs[upper] }
        let (r0, r1) = (Double(rows[upper - 1]), Double(rows[upper]))
        return costs[upper - 1] + (costs[upper] - costs[upper - 1]) * (r - r0) / (r1 - r0)
    }
}
