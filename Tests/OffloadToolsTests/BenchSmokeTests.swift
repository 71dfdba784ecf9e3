import Foundation
import Testing

@testable import OffloadTools

/// `offload bench --quick` end to end: real worker processes, pgbench, every scenario. Asserts on
/// outcomes only (every figure reported; the bench itself fails if a job was lost or ran twice),
/// never on speed.
@Suite("offload bench")
struct BenchSmokeTests {
    static let binary = ProcessInfo.processInfo.environment["OFFLOAD_BIN"]
    static let databaseURL = ProcessInfo.processInfo.environment["DATABASE_URL"]

    @Test(
        .enabled(if: binary != nil && databaseURL != nil, "needs OFFLOAD_BIN and DATABASE_URL (make test sets both)"),
        .timeLimit(.minutes(3))
    )
    func quickRunReportsEveryFigure() async throws {
        let (status, output) = try await Self.run(try #require(Self.binary), ["bench", "--quick", "--json"])
        #expect(status == 0, "offload bench failed:\n\(output.stderr.suffix(3_000))")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
            "not one JSON object:\n\(output.stdout)")
        let hasPgbench = object["pgbench"] as? String != "not installed"
        for metric in BenchMetric.all {
            let isCeiling =
                metric.scenario == .limit || metric.scenario == .ownSQLLimit || metric.key.hasSuffix("_vs_limit")
                || metric.key.hasSuffix("_vs_own_sql_limit")
            if isCeiling && !hasPgbench { continue }
            let value = object[metric.key] as? Double
            #expect(value != nil, "\(metric.key) is missing or null")
            // The steady state reports 0 when even its first rate fell behind, which a machine busy
            // with the rest of the suite can cause: a figure, not a failure.
            let mayBeZero = metric.unit == .milliseconds || metric.unit == .microseconds || metric.scenario == .steady
            if let value, !mayBeZero {
                #expect(value > 0, "\(metric.key) = \(value)")
            }
        }
    }

    /// A tiny soak: its JSON has every interval with its figures, the two ratios of the end line, and
    /// a verdict (or null) for each target. Structure only: the figures of 6 seconds mean nothing.
    @Test(
        .enabled(if: binary != nil && databaseURL != nil, "needs OFFLOAD_BIN and DATABASE_URL (make test sets both)"),
        .timeLimit(.minutes(2))
    )
    func tinySoakReportsEveryIntervalAndTheEndLine() async throws {
        let (status, output) = try await Self.run(
            try #require(Self.binary),
            [
                "bench", "--soak", "6s", "--soak-interval", "2s", "--soak-future-jobs", "1000", "--soak-rate", "200",
                "--concurrency", "100", "--claim-batch", "100", "--json",
            ])
        #expect(status == 0, "offload bench --soak failed:\n\(output.stderr.suffix(3_000))")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
            "not one JSON object:\n\(output.stdout)")
        #expect(object["scenario"] as? String == "soak")
        #expect(object["rate_jobs_per_s"] as? Int == 200)
        #expect(object["future_jobs"] as? Int == 1_000)
        let intervals = try #require(object["intervals"] as? [[String: Any]])
        #expect(intervals.map { $0["index"] as? Int } == [1, 2, 3])
        // The hold runs from 2 s to 4 s: the second interval's.
        #expect(intervals.map { $0["in_xmin_window"] as? Bool } == [false, true, false])
        let numbers = [
            "done_per_s", "produced_per_s", "claim_p50_ms", "claim_p99_ms", "enqueue_to_start_p99_ms", "table_bytes",
            "index_bytes", "total_bytes", "dead_tuples", "waiting", "vacuums", "xmin_held_s",
        ]
        for interval in intervals {
            for key in numbers {
                #expect(interval[key] as? Double != nil, "interval \(interval["index"] ?? "?"): \(key) is missing")
            }
            #expect(interval["kept_up"] as? Bool != nil)
            #expect((interval["total_bytes"] as? Double ?? 0) > 0)
        }
        #expect(intervals.reduce(0) { $0 + ($1["produced"] as? Int ?? 0) } > 0)
        #expect(object["throughput_last_over_first"] as? Double != nil)
        #expect(object["size_end_over_first"] as? Double != nil)
        let targets = try #require(object["targets"] as? [[String: Any]])
        #expect(targets.count == 4)
        for target in targets {
            #expect(target["name"] as? String != nil)
            #expect(target["met"] is Bool || target["met"] is NSNull)
        }
        // The live lines went to standard error: the header and one line per interval.
        #expect(output.stderr.contains("ENQ→START P99 MS"))
    }

    /// Runs the program with `DATABASE_URL` inherited; returns its exit status and its two outputs.
    private static func run(_ executable: String, _ arguments: [String]) async throws -> (
        Int32, (stdout: String, stderr: String)
    ) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "offload-bench-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stdoutFile = folder.appendingPathComponent("stdout")
        let stderrFile = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        // Blocking waits belong on a Dispatch thread, not on the cooperative pool.
        let status = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Int32, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: executable)
                        process.arguments = arguments
                        process.standardInput = FileHandle.nullDevice
                        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
                        process.standardError = try FileHandle(forWritingTo: stderrFile)
                        try process.run()
                        process.waitUntilExit()
                        return process.terminationStatus
                    })
            }
        }
        let stdout = try String(contentsOf: stdoutFile, encoding: .utf8)
        let stderr = try String(contentsOf: stderrFile, encoding: .utf8)
        return (status, (stdout, stderr))
    }
}
