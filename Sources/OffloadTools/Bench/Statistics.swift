/// Medians and percentiles of measurements.
enum Statistics {
    /// The median; the mean of the middle two for an even count; nil when empty.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The `fraction` percentile (0…1) of sorted values, by linear interpolation between the nearest
    /// ranks (as PostgreSQL's `percentile_cont`).
    static func percentile(_ fraction: Double, ofSorted values: [Double]) -> Double {
        guard let first = values.first else { return 0 }
        guard values.count > 1 else { return first }
        let position = fraction * Double(values.count - 1)
        let lower = Int(position)
        let upper = min(lower + 1, values.count - 1)
        let weight = position - Double(lower)
        return values[lower] + (values[upper] - values[lower]) * weight
    }
}
