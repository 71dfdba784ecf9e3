/// Percentiles of a set of durations, by the nearest-rank method (p99 of 300 samples is the 297th).
public struct LatencySummary: Sendable, Equatable {
    /// How many samples there were.
    public var count: Int
    /// The median.
    public var p50: Double
    /// 95 % of the samples are at most this.
    public var p95: Double
    /// 99 % of the samples are at most this.
    public var p99: Double
    /// The largest sample.
    public var max: Double

    /// Summarizes `samples` (any unit; the summary keeps it). All zero when there are none.
    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        p50 = Self.percentile(50, of: sorted)
        p95 = Self.percentile(95, of: sorted)
        p99 = Self.percentile(99, of: sorted)
        max = sorted.last ?? 0
    }

    /// The smallest sample that at least `percent` % of the samples are less than or equal to.
    static func percentile(_ percent: Double, of sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(rank, 1) - 1]
    }
}
