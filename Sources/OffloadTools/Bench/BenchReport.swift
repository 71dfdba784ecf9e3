import Foundation
import OffloadCLI

/// The figures of every run, their medians, and how to print them.
struct BenchReport: Sendable {
    /// Each figure's value in each run, by JSON field.
    private(set) var samples: [String: [Double]] = [:]
    /// Facts about the run (sizes, concurrency, machine, server settings), printed as they are.
    var facts: [(String, String)] = []

    /// Records one run's figures, and the ratios between figures of that same run (a ratio of two
    /// figures taken minutes apart on a noisy machine would mean less).
    mutating func record(run figures: [String: Double]) {
        var figures = figures
        func ratio(_ key: String, _ numerator: String, _ denominator: String) {
            if let top = figures[numerator], let bottom = figures[denominator], bottom > 0 {
                figures[key] = top / bottom
            }
        }
        ratio("burndown_vs_limit", "burndown_jobs_per_s", "limit_jobs_per_s")
        ratio("burndown_vs_own_sql_limit", "burndown_jobs_per_s", "own_sql_limit_jobs_per_s")
        ratio("enqueue_single_vs_bare_insert", "enqueue_single_per_s", "bare_insert_per_s")
        ratio("enqueue_bulk_vs_bulk_insert", "enqueue_bulk_per_s", "bulk_insert_per_s")
        for (key, value) in figures { samples[key, default: []].append(value) }
    }

    func median(_ key: String) -> Double? { Statistics.median(samples[key] ?? []) }

    /// The table: each figure's median, every run's value, and the target.
    func table() -> String {
        var rows = [["FIGURE", "MEDIAN", "UNIT", "RUNS", "TARGET"]]
        for metric in BenchMetric.all {
            guard let values = samples[metric.key], let median = Statistics.median(values) else { continue }
            rows.append([
                metric.key, Self.format(median, metric.unit), metric.unit.rawValue,
                values.map { Self.format($0, metric.unit) }.joined(separator: " "), metric.target ?? "",
            ])
        }
        let facts = self.facts.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
        return TextTable.render(rows) + "\n\n" + facts
    }

    /// One JSON object: every figure's median (null when not measured), the samples, and the facts.
    func json() throws -> String {
        var object: [String: Any] = [:]
        for metric in BenchMetric.all {
            object[metric.key] = median(metric.key).map { Self.rounded($0, metric.unit) } ?? NSNull()
        }
        var samplesObject: [String: Any] = [:]
        for metric in BenchMetric.all {
            if let values = samples[metric.key] {
                samplesObject[metric.key] = values.map { Self.rounded($0, metric.unit) }
            }
        }
        object["samples"] = samplesObject
        for (key, value) in facts { object[key] = value }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func rounded(_ value: Double, _ unit: BenchMetric.Unit) -> Double {
        let scale = pow(10, Double(unit.decimals))
        return (value * scale).rounded() / scale
    }

    static func format(_ value: Double, _ unit: BenchMetric.Unit) -> String {
        String(format: "%.\(unit.decimals)f", value)
    }
}
