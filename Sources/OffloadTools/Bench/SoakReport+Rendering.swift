import Foundation
import OffloadCLI

/// The soak's report as text (a line per interval, printed as each ends, then the end line and the
/// targets) and as one JSON object.
extension SoakReport {
    /// A column of the per-interval table: its header, its width, and its cell.
    private struct Column: Sendable {
        let header: String
        let width: Int
        let cell: @Sendable (SoakInterval) -> String
    }

    private static let columns: [Column] = [
        Column(header: "TIME", width: 6) { clock($0.endSeconds) },
        Column(header: "DONE/S", width: 8) { decimal($0.donePerSecond, 0) },
        Column(header: "PRODUCED/S", width: 10) { decimal($0.producedPerSecond, 0) },
        Column(header: "KEPT UP", width: 7) { $0.keptUp ? "yes" : "NO" },
        Column(header: "WAITING", width: 8) { String($0.end.waiting) },
        Column(header: "CLAIM P50 MS", width: 12) { $0.claimP50.map { decimal($0, 2) } ?? "-" },
        Column(header: "CLAIM P99 MS", width: 12) { $0.claimP99.map { decimal($0, 2) } ?? "-" },
        Column(header: "ENQ→START P99 MS", width: 16) { decimal($0.lag.p99, 1) },
        Column(header: "TABLE MB", width: 8) { megabytes($0.end.tableBytes) },
        Column(header: "INDEXES MB", width: 10) { megabytes($0.end.indexBytes) },
        Column(header: "CLAIM IDX MB", width: 12) { $0.end.claimIndexBytes.map(megabytes) ?? "-" },
        Column(header: "DEAD ROWS", width: 9) { String($0.end.deadTuples) },
        Column(header: "VACUUMS", width: 7) { String($0.vacuums) },
        Column(header: "XMIN HELD", width: 9) { interval in
            let held = interval.xminHeldSeconds
            return held > 0 ? decimal(held, held < 10 ? 1 : 0) + "s" : "-"
        },
        Column(header: "PG CORES", width: 8) { $0.serverCores.map { decimal($0, 2) } ?? "-" },
        Column(header: "WORKER CORES", width: 12) { $0.workerCores.map { decimal($0, 2) } ?? "-" },
        Column(header: "LOAD", width: 5) { $0.loadAverage.map { decimal($0, 2) } ?? "-" },
    ]

    /// What runs, in one line: the rate and where it came from, the backdrop, the retention and the
    /// xmin window.
    var headline: String {
        let c = configuration
        var source = "fixed"
        if let capacity, case .fractionOfCapacity(let fraction) = c.load {
            source =
                "\(Self.decimal(fraction, 2)) × the \(Self.decimal(capacity, 0)) jobs/s of a burn-down of \(c.capacityJobs) jobs"
        }
        return "soak for \(DurationParser.format(c.duration)): \(rate) jobs/s (\(source)); "
            + "\(c.futureJobs) jobs scheduled for tomorrow; completed jobs pruned after "
            + "\(DurationParser.format(c.retention)); xmin held from \(DurationParser.format(c.holdStart)) "
            + "to \(DurationParser.format(c.holdEnd)); a line every \(DurationParser.format(c.interval))"
    }

    /// The table's header.
    static var header: String { row(columns.map(\.header)) }

    /// One interval's line.
    static func line(_ interval: SoakInterval) -> String { row(columns.map { $0.cell(interval) }) }

    /// The end line: the throughput and size ratios.
    var endLine: String {
        guard let first = intervals.first, let last = intervals.last else { return "no interval completed" }
        return "last / first interval's throughput: \(throughputRatio.map { Self.decimal($0, 3) } ?? "-") "
            + "(\(Self.decimal(last.donePerSecond, 0)) / \(Self.decimal(first.donePerSecond, 0)) jobs/s); "
            + "size at the end / after the first interval: \(sizeRatio.map { Self.decimal($0, 3) } ?? "-") "
            + "(\(Self.megabytes(last.totalBytes)) / \(Self.megabytes(first.totalBytes)) MB, table and indexes)"
    }

    /// The targets, one per line, each `met`, `MISSED` or `-`.
    var targetLines: String {
        targets.map { target in
            let verdict = target.met.map { $0 ? "met" : "MISSED" } ?? "-"
            return "  \(target.name): \(target.value): \(verdict)"
        }.joined(separator: "\n")
    }

    /// Everything after the intervals: the end line, the targets and the facts.
    var ending: String {
        let facts = self.facts.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
        return endLine + "\ntargets:\n" + targetLines + "\n\n" + facts
    }

    /// One JSON object: the settings, every interval, the ratios, the targets and the facts.
    func json() throws -> String {
        let c = configuration
        var object: [String: Any] = [
            "scenario": "soak",
            "duration_s": c.duration.seconds,
            "interval_s": c.interval.seconds,
            "rate_jobs_per_s": rate,
            "capacity_jobs_per_s": capacity.map { Self.rounded($0, 0) as Any } ?? NSNull(),
            "load": loadFraction.map { $0 as Any } ?? NSNull(),
            "future_jobs": c.futureJobs,
            "retention_s": c.retention.seconds,
            "xmin_hold_from_s": c.holdStart.seconds,
            "xmin_hold_until_s": c.holdEnd.seconds,
            "throughput_last_over_first": throughputRatio.map { Self.rounded($0, 3) as Any } ?? NSNull(),
            "size_end_over_first": sizeRatio.map { Self.rounded($0, 3) as Any } ?? NSNull(),
        ]
        object["intervals"] = intervals.map(Self.json)
        object["targets"] = targets.map { target -> [String: Any] in
            ["name": target.name, "value": target.value, "met": target.met.map { $0 as Any } ?? NSNull()]
        }
        for (key, value) in facts { object[key] = value }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    private static func json(_ interval: SoakInterval) -> [String: Any] {
        let optional: (Double?) -> Any = { $0.map { rounded($0, 3) as Any } ?? NSNull() }
        return [
            "index": interval.index,
            "end_s": rounded(interval.endSeconds, 3),
            "seconds": rounded(interval.seconds, 3),
            "produced": interval.produced,
            "done": interval.done,
            "produced_per_s": rounded(interval.producedPerSecond, 0),
            "done_per_s": rounded(interval.donePerSecond, 0),
            "kept_up": interval.keptUp,
            "waiting": interval.end.waiting,
            "unfinished": interval.end.unfinished,
            "claim_probes": interval.claimMilliseconds.count,
            "claim_p50_ms": optional(interval.claimP50),
            "claim_p99_ms": optional(interval.claimP99),
            "started": interval.lag.started,
            "enqueue_to_start_p50_ms": rounded(interval.lag.p50, 3),
            "enqueue_to_start_p99_ms": rounded(interval.lag.p99, 3),
            "enqueue_to_start_max_ms": rounded(interval.lag.max, 3),
            "table_bytes": interval.end.tableBytes,
            "index_bytes": interval.end.indexBytes,
            "claim_index_bytes": interval.end.claimIndexBytes.map { $0 as Any } ?? NSNull(),
            "total_bytes": interval.totalBytes,
            "dead_tuples": interval.end.deadTuples,
            "live_tuples": interval.end.liveTuples,
            "vacuums": interval.vacuums,
            "xmin_held_s": rounded(interval.xminHeldSeconds, 3),
            "in_xmin_window": interval.inXminWindow,
            "server_cores": optional(interval.serverCores),
            "worker_cores": optional(interval.workerCores),
            "load_average": optional(interval.loadAverage),
        ]
    }

    /// The fraction of the capacity the rate was set to (nil for a fixed rate).
    private var loadFraction: Double? {
        if case .fractionOfCapacity(let fraction) = configuration.load { return fraction }
        return nil
    }

    private static func row(_ cells: [String]) -> String {
        zip(columns, cells).map { column, cell in
            String(repeating: " ", count: max(0, column.width - cell.count)) + cell
        }.joined(separator: "  ")
    }

    private static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return "\(whole / 60):" + (whole % 60 < 10 ? "0" : "") + "\(whole % 60)"
    }

    private static func megabytes(_ bytes: Int64) -> String { decimal(Double(bytes) / 1_048_576, 1) }

    private static func rounded(_ value: Double, _ places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}
