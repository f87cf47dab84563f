/// Summary statistics of a sample, as the evaluation reports them. Empty samples give nil,
/// never NaN, so a report always encodes to JSON.
public enum SampleStatistics {
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The q-quantile (q in [0, 1]) by linear interpolation between order statistics:
    /// the value at rank q·(n − 1) of the sorted sample (numpy's default, "linear").
    public static func quantile(_ values: [Double], _ q: Double) -> Double? {
        precondition((0...1).contains(q), "quantile \(q) outside [0, 1]")
        if values.isEmpty { return nil }
        let sorted = values.sorted()
        let rank = q * Double(sorted.count - 1)
        let lo = Int(rank.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (rank - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    public static func median(_ values: [Double]) -> Double? { quantile(values, 0.5) }

    /// The fraction of true values; nil for an empty sample.
    public static func fraction(_ flags: [Bool]) -> Double? {
        flags.isEmpty ? nil : Double(flags.filter { $0 }.count) / Double(flags.count)
    }
}
