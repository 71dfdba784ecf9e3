import PGClient

/// Burn-down: N no-op jobs are enqueued first, then worker processes work them all off.
///
/// The rate is N over the span from the first claim to the last completion, both read from the
/// jobs' own timestamps, so process start-up is not counted (pgbench's figure leaves out its
/// connection time too). Afterwards every job must be `completed` after exactly one attempt.
struct BurndownBench {
    struct Outcome {
        var jobsPerSecond: Double
        /// Each worker's peak resident memory, in megabytes.
        var peakResidentMegabytes: [Double]
        /// The workers' processor time per job, in microseconds (start-up not counted).
        var workerCPUMicrosecondsPerJob: Double?
        /// The server's processor time per job, in microseconds (start-up not counted).
        var serverCPUMicrosecondsPerJob: Double?
    }

    let context: BenchContext

    /// Works off `jobs` jobs with `processes` workers. `backdrop` runs after the reset and before the
    /// jobs are enqueued (the scale scenario fills the table there).
    func run(
        jobs: Int, processes: Int, concurrency: Int, claimBatch: Int,
        backdrop: (@Sendable (BenchDatabase) async throws -> Void)? = nil
    ) async throws -> Outcome {
        let database = context.database
        try await database.reset()
        try await backdrop?(database)
        let firstID = try await database.pool.query(BenchSQL.nextJobID).single(Int64.self, "id")
        try await database.pool.execute(BenchSQL.enqueueNoops(jobs))
        try await database.settle()

        let workers = try await context.startWorkers(processes, concurrency: concurrency, claimBatch: claimBatch)
        let cpuAtStart = workers.compactMap { $0.cpuSeconds() }.reduce(0, +)
        let peaks: [Double]
        let cpu: Double?
        let serverCPU: Double?
        do {
            // Generous: a hundredth of the slowest rate anyone should see.
            serverCPU = try await context.measuringServerCPU(jobs: jobs) {
                try await database.waitUntilDrained(timeout: .seconds(60 + jobs / 100))
            }.serverCPUMicrosecondsPerJob
            peaks = workers.compactMap { $0.peakResidentMegabytes() }
            let cpuAtEnd = workers.compactMap { $0.cpuSeconds() }
            cpu = cpuAtEnd.count == workers.count ? cpuAtEnd.reduce(0, +) - cpuAtStart : nil
        } catch {
            for worker in workers { worker.killNow() }
            throw error
        }
        for worker in workers { try await worker.stopWorker() }

        let outcome = try await database.pool.query(BenchSQL.burndownOutcome(firstID: firstID))
        let total = try outcome.single(Int.self, "total")
        let completedOnce = try outcome.single(Int.self, "completed_once")
        let span = try outcome.single(Double.self, "span_seconds")
        guard total == jobs, completedOnce == jobs else {
            throw BenchError(
                "burn-down: of \(jobs) jobs, \(total) exist and \(completedOnce) completed after exactly one attempt")
        }
        guard span > 0 else { throw BenchError("burn-down: the jobs took no measurable time") }
        return Outcome(
            jobsPerSecond: Double(jobs) / span, peakResidentMegabytes: peaks,
            workerCPUMicrosecondsPerJob: cpu.map { $0 * 1_000_000 / Double(jobs) },
            serverCPUMicrosecondsPerJob: serverCPU)
    }

}
