import Foundation

/// The outcome of a soak: its intervals, the two ratios of the end line, and the targets.
struct SoakReport: Sendable {
    /// One target of issue 15, judged.
    struct Target: Sendable, Equatable {
        /// What is judged, with its bound, e.g. `last / first interval's throughput >= 0.9`.
        var name: String
        /// The figure judged, as printed.
        var value: String
        /// nil when there was nothing to judge (e.g. no interval outside the xmin window).
        var met: Bool?
    }

    var configuration: SoakConfiguration
    /// The producer's rate, jobs per second.
    var rate: Int
    /// The burn-down's rate that `rate` is a fraction of (nil with `--soak-rate`).
    var capacity: Double?
    var intervals: [SoakInterval]
    /// Facts about the run (machine, server settings), printed as they are.
    var facts: [(String, String)] = []

    static let throughputBound = 0.9
    static let sizeBound = 1.5
    static let lagP99BoundMilliseconds = 5.0

    /// The last interval's jobs done per second over the first's.
    var throughputRatio: Double? {
        guard let first = intervals.first, let last = intervals.last, first.donePerSecond > 0 else { return nil }
        return last.donePerSecond / first.donePerSecond
    }

    /// The table and its indexes at the end over the same after the first interval.
    var sizeRatio: Double? {
        guard let first = intervals.first, let last = intervals.last, first.totalBytes > 0 else { return nil }
        return Double(last.totalBytes) / Double(first.totalBytes)
    }

    /// The targets, judged on this run.
    var targets: [Target] {
        let behind = intervals.filter { !$0.keptUp }.map(\.index)
        let outside = intervals.filter { !$0.inXminWindow }
        let worstLag = outside.max { $0.lag.p99 < $1.lag.p99 }
        return [
            Target(
                name: "every interval keeps up with the producer",
                value: behind.isEmpty
                    ? "all \(intervals.count)" : "not \(behind.map(String.init).joined(separator: ", "))",
                met: intervals.isEmpty ? nil : behind.isEmpty),
            Target(
                name: "last / first interval's throughput >= \(Self.throughputBound)",
                value: throughputRatio.map { Self.decimal($0, 3) } ?? "-",
                met: throughputRatio.map { $0 >= Self.throughputBound }),
            Target(
                name: "size at the end / after the first interval <= \(Self.sizeBound)",
                value: sizeRatio.map { Self.decimal($0, 3) } ?? "-",
                met: sizeRatio.map { $0 <= Self.sizeBound }),
            Target(
                name:
                    "enqueue→start p99 <= \(Self.decimal(Self.lagP99BoundMilliseconds, 0)) ms outside the xmin window",
                value: worstLag.map { "worst \(Self.decimal($0.lag.p99, 1)) ms (interval \($0.index))" }
                    ?? "no interval outside the window",
                met: worstLag.map { $0.lag.p99 <= Self.lagP99BoundMilliseconds }),
        ]
    }

    static func decimal(_ value: Double, _ places: Int) -> String {
        String(format: "%.\(places)f", value)
    }
}
