import Foundation
import OffloadCLI

extension ChaosReport {
    /// The report as plain text: the configuration, the outcome table, the faults with their recovery
    /// times, and the checks.
    func render() -> String {
        var lines: [String] = []
        let c = configuration
        lines.append(
            "Chaos run: \(c.jobs) jobs, \(c.workers) workers × concurrency \(c.concurrency), \(format(c.duration)) of faults, "
                + "lease \(c.leaseMs) ms, heartbeat \(c.heartbeatMs) ms, seed \(c.seed); took \(format(elapsed))"
        )
        for note in notes { lines.append("note: \(note)") }
        lines.append("")
        let outcome: [[String]] = [
            ["OUTCOME", "COUNT", ""],
            [
                "jobs enqueued", "\(enqueued)",
                ambiguousEnqueues > 0
                    ? "\(ambiguousEnqueues) enqueue batches failed ambiguously and were checked, not blindly retried"
                    : "",
            ],
            ["completed", "\(completed)", ""],
            ["dead", "\(dead)", "always-failing jobs: \(alwaysFailing)"],
            ["lost", "\(lost)", "left available/running/retryable"],
            ["handler invocations", "\(invocations)", ""],
            ["jobs run more than once", "\(jobsRunMoreThanOnce)", "a job may appear under several reasons:"],
            [
                "  retried: failed on purpose", "\(jobsRetriedByDesign)",
                "failFirst/alwaysFail; \(fates[.failedByDesign] ?? 0) failed runs",
            ],
            [
                "  retried: failed on a database fault", "\(jobsRetriedAfterDatabaseFault)",
                "the handler's own query hit an outage; \(fates[.failedByDatabaseFault] ?? 0) failed runs",
            ],
            [
                "  repeated: worker SIGKILLed mid-run", "\(jobsRepeatedAfterKill)",
                "\(fates[.interruptedByKill] ?? 0) interrupted runs, by \(killedPIDsThatInterruptedJobs) of the \(killedPIDs) killed pids",
            ],
            ["  repeated: handed back at SIGTERM deadline", "\(jobsRepeatedAfterShutdown)", ""],
            ["  repeated: lease lost by a live worker", "\(fates[.leaseLostByLiveWorker] ?? 0)", "runs; must be 0"],
            ["  repeated: unexplained", "\(fates[.unexplained] ?? 0)", "runs without a recorded outcome; must be 0"],
        ]
        lines.append(TextTable.render(outcome))
        lines.append("")

        var faultRows = [["FAULT", "AT", "WHAT", "RECOVERED AFTER", "RECOVERED MEANS"]]
        for fault in faults {
            faultRows.append([
                fault.fault.description, format(fault.at), fault.detail,
                fault.recovery.map(format) ?? "NEVER", fault.condition.summary,
            ])
        }
        lines.append(TextTable.render(faultRows))
        for kind in [ChaosFault.killWorker, .restartPostgres, .terminateConnections] {
            let times = faults.filter { $0.fault == kind }.compactMap(\.recovery)
            guard times.count > 1 else { continue }
            let sorted = times.sorted()
            lines.append(
                "\(kind): recovery median \(format(sorted[sorted.count / 2])), max \(format(sorted.last!)) over \(times.count)"
            )
        }
        for exit in selfExits {
            lines.append(
                "worker pid \(exit.pid) exited by itself (\(exit.status)) \(exit.afterRegistering ? "while running" : "during start-up"), and was replaced: \(exit.reason)"
            )
        }
        lines.append("")
        lines.append(
            "final SIGTERM: \(sigterm.workers) workers, slowest exit \(format(sigterm.slowestExit)), "
                + "\(sigterm.runningAfterwards) jobs left running, \(sigterm.workerRowsLeft) worker rows left; "
                + "\(settle.leftBySigterm) unfinished jobs finished by fresh workers in \(format(settle.took))"
        )
        lines.append("")
        var checkRows = [["CHECK", "RESULT", "DETAIL"]]
        for check in checks { checkRows.append([check.name, check.passed ? "pass" : "FAIL", check.detail]) }
        lines.append(TextTable.render(checkRows))
        lines.append("")
        lines.append(passed ? "chaos: PASS" : "chaos: FAIL")
        return lines.joined(separator: "\n")
    }

    private func format(_ duration: Duration) -> String {
        ChaosRun.format(duration)
    }
}
