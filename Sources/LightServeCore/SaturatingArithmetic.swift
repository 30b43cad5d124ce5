extension Int {
    /// `self + other`, held at `Int.max` or `Int.min` instead of trapping: for sums of values a
    /// client chose (token counts, limits), which must never crash a server others share.
    @inlinable
    public func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self × other`, held at `Int.max` or `Int.min` instead of trapping.
    @inlinable
    public func multipliedSaturated(by other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) == (other < 0) ? .max : .min) : product
    }
}
