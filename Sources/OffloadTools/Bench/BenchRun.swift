import Foundation

/// Runs the selected scenarios `runs` times, interleaved (every scenario once per run), so slow
/// drift on the machine spreads over all of them instead of landing on one.
struct BenchRun {
    let context: BenchContext
    let scenarios: [BenchScenario]
    let runs: Int

    func run() async throws -> BenchReport {
        var report = BenchReport()
        for run in 1...runs {
            var figures: [String: Double] = [:]
            for scenario in scenarios {
                context.progress("run \(run)/\(runs): \(scenario.rawValue)")
                let measured = try await measure(scenario)
                figures.merge(measured) { _, new in new }
                let summary = measured.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.short($0.value))" }
                context.progress("  " + summary.joined(separator: " "))
            }
            report.record(run: figures)
        }
        return report
    }

    private func measure(_ scenario: BenchScenario) async throws -> [String: Double] {
        let settings = context.settings
        let burndown = BurndownBench(context: context)
        switch scenario {
        case .limit, .ownSQLLimit:
            guard let pgbench = context.pgbench else {
                context.progress(
                    "  pgbench is not installed (it comes with the PostgreSQL server programs): no ceiling")
                return [:]
            }
            let ceiling = CeilingBench(context: context, pgbench: pgbench)
            let prefix = scenario == .limit ? "limit" : "own_sql_limit"
            let outcome = scenario == .limit ? try await ceiling.minimal() : try await ceiling.ownSQL()
            var figures = [prefix + "_jobs_per_s": outcome.jobsPerSecond, prefix + "_clients": Double(outcome.clients)]
            figures[prefix + "_server_cpu_us_per_job"] = outcome.serverCPUMicrosecondsPerJob
            return figures
        case .burndown, .burndown2Processes:
            let processes = scenario == .burndown ? 1 : 2
            let outcome = try await burndown.run(
                jobs: settings.jobs, processes: processes, concurrency: settings.concurrency,
                claimBatch: settings.claimBatch)
            guard scenario == .burndown else { return ["burndown_2proc_jobs_per_s": outcome.jobsPerSecond] }
            var figures = ["burndown_jobs_per_s": outcome.jobsPerSecond]
            figures["burndown_worker_cpu_us_per_job"] = outcome.workerCPUMicrosecondsPerJob
            figures["burndown_server_cpu_us_per_job"] = outcome.serverCPUMicrosecondsPerJob
            return figures
        case .scale:
            let empty = try await burndown.run(
                jobs: settings.jobs, processes: 1, concurrency: settings.concurrency, claimBatch: settings.claimBatch)
            let (finished, scheduled) = (settings.scaleFinishedJobs, settings.scaleScheduledJobs)
            let filled = try await burndown.run(
                jobs: settings.jobs, processes: 1, concurrency: settings.concurrency, claimBatch: settings.claimBatch,
                backdrop: { database in
                    for query in BenchSQL.fillHistory(finished: finished, scheduled: scheduled) {
                        try await database.pool.execute(query)
                    }
                })
            return [
                "scale": filled.jobsPerSecond / empty.jobsPerSecond,
                "scale_empty_jobs_per_s": empty.jobsPerSecond,
                "scale_filled_jobs_per_s": filled.jobsPerSecond,
            ]
        case .rss:
            let outcome = try await burndown.run(
                jobs: settings.rssJobs, processes: 1, concurrency: settings.rssConcurrency,
                claimBatch: settings.claimBatch)
            guard let peak = outcome.peakResidentMegabytes.first else {
                context.progress("  no /proc on this system: peak memory not measured")
                return [:]
            }
            return ["worker_peak_rss_mb": peak]
        case .steady:
            let outcome = try await SteadyBench(context: context).run()
            return ["steady_jobs_per_s": outcome.jobsPerSecond, "steady_lag_p99_ms": outcome.lagP99Milliseconds]
        case .latency:
            let outcome = try await LatencyBench(context: context).run()
            return [
                "latency_p50_ms": outcome.p50Milliseconds, "latency_p90_ms": outcome.p90Milliseconds,
                "latency_p99_ms": outcome.p99Milliseconds, "latency_max_ms": outcome.maxMilliseconds,
                "durable_commit_p50_ms": outcome.commitP50Milliseconds,
                "durable_commit_p99_ms": outcome.commitP99Milliseconds,
                "latency_wake_p50_ms": outcome.wakeP50Milliseconds,
            ]
        case .enqueueSingle:
            let outcome = try await EnqueueBench(context: context).single()
            return ["enqueue_single_per_s": outcome.enqueuePerSecond, "bare_insert_per_s": outcome.bareInsertPerSecond]
        case .enqueueBulk:
            let outcome = try await EnqueueBench(context: context).bulk()
            return ["enqueue_bulk_per_s": outcome.enqueuePerSecond, "bulk_insert_per_s": outcome.insertPerSecond]
        }
    }

    private static func short(_ value: Double) -> String {
        value >= 100 && value < 1e15 ? String(Int(value.rounded())) : String(format: "%.3f", value)
    }
}
