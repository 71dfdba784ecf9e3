/// Durations as the numbers SQL binds, metrics and reports take: one place for the whole package
/// (`package`, so the CLI and the tools use these too, and apps see none of them).
extension Duration {
    /// The duration in seconds as a `Double`.
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole milliseconds, rounded down.
    package var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Whole nanoseconds, clamped to `Int64`'s range (about ±292 years) instead of trapping on overflow.
    package var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowAgain) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflowAgain { return scaled < 0 ? .min : .max }
        return total
    }
}
