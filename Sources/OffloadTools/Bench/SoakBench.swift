import Offload
import PGClient

/// The soak (issue 15): a steady producer at a fixed fraction of the measured capacity for minutes,
/// against a table that already holds a million jobs scheduled for tomorrow, with completed jobs
/// pruned as they age past a short retention, and a transaction holding back xmin for the middle
/// third of the run. Whatever grows over time (dead index entries, table size, claim time, lag)
/// shows in the line printed at the end of every interval.
///
/// In order: a burn-down of `capacityJobs` measures the capacity (unless the rate is fixed); the table
/// is emptied and the future jobs inserted; the server settles; one worker process starts, with the
/// short retention; then the producer, the claim probe and the xmin holder run side by side, and
/// the report samples the server at every interval's end. Afterwards the worker stops (gracefully,
/// without draining), and every job of the soak must be waiting untouched or have completed after
/// exactly one attempt.
struct SoakBench: Sendable {
    let context: BenchContext
    let configuration: SoakConfiguration
    /// Called with the report's headline once the rate is known, and with every interval as it ends.
    let onStart: @Sendable (SoakReport) -> Void
    let onInterval: @Sendable (SoakInterval) -> Void

    func run() async throws -> SoakReport {
        let (rate, capacity) = try await producerRate()
        let database = context.database
        try await database.reset()
        if configuration.futureJobs > 0 {
            context.progress("soak: scheduling \(configuration.futureJobs) jobs for tomorrow")
            try await database.pool.execute(BenchSQL.scheduleForTomorrow(configuration.futureJobs))
        }
        try await database.settle()
        let firstID = try await database.pool.query(BenchSQL.nextJobID).single(Int64.self, "id")
        var report = SoakReport(configuration: configuration, rate: rate, capacity: capacity, intervals: [])
        onStart(report)

        let worker = try await context.startWorker(
            concurrency: configuration.concurrency, claimBatch: configuration.claimBatch,
            extraArguments: ["--completed-retention-ms", String(configuration.retention.milliseconds)])
        do {
            report.intervals = try await soak(rate: rate, worker: worker)
        } catch {
            worker.killNow()
            throw error
        }
        // Stopped at once, not drained: a soak that fell behind can leave millions waiting, and working
        // them off would take longer than the soak and measure nothing. A graceful stop finishes or
        // hands back what the worker holds, so every job is then waiting untouched or completed once.
        try await worker.stopWorker()
        try await verify(firstID: firstID)
        return report
    }

    /// The producer's rate, and the capacity it is a fraction of (nil for a fixed rate).
    private func producerRate() async throws -> (rate: Int, capacity: Double?) {
        switch configuration.load {
        case .rate(let rate):
            return (rate, nil)
        case .fractionOfCapacity(let fraction):
            context.progress("soak: measuring the capacity (a burn-down of \(configuration.capacityJobs) jobs)")
            let burndown = try await BurndownBench(context: context).run(
                jobs: configuration.capacityJobs, processes: 1, concurrency: configuration.concurrency,
                claimBatch: configuration.claimBatch)
            let rate = max(1, Int((burndown.jobsPerSecond * fraction).rounded()))
            context.progress("  capacity \(Int(burndown.jobsPerSecond)) jobs/s; producing \(rate) jobs/s")
            return (rate, burndown.jobsPerSecond)
        }
    }

    /// Runs the producer, the claim probe and the xmin holder until the end, sampling at every
    /// interval's end; returns the intervals.
    private func soak(rate: Int, worker: ChildProcess) async throws -> [SoakInterval] {
        let database = context.database
        let configuration = self.configuration
        let holder = XminHolder()
        let probe = ClaimProbe()
        let offload = Offload(pool: database.pool)
        var previous = try await SoakSample.read(database.pool)
        let serverCPU = context.serverCPU
        var previousCPU = (server: serverCPU?.seconds(), worker: worker.cpuSeconds())
        let start = ContinuousClock.now
        let end = start + configuration.duration
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await database.pool.withConnection { producer in
                    try await RateProducer(rate: rate).run(on: producer, from: start, for: configuration.duration)
                }
            }
            group.addTask {
                try await probe.run(offload, every: configuration.probeInterval, from: start, until: end)
            }
            group.addTask {
                try await holder.hold(
                    database.configuration, from: start + configuration.holdStart,
                    until: start + configuration.holdEnd)
            }
            var intervals: [SoakInterval] = []
            var intervalStart = start
            for (offset, intervalEnd) in configuration.intervalEnds.enumerated() {
                try await Task.sleep(until: start + intervalEnd)
                let now = ContinuousClock.now
                let sample = try await SoakSample.read(database.pool)
                let cpu = (server: serverCPU?.seconds(), worker: worker.cpuSeconds())
                let wall = (now - intervalStart).seconds
                let lag = try await SoakLag.read(
                    database.pool, fromID: previous.firstIDClaimable, from: previous.at, until: sample.at)
                let interval = SoakInterval(
                    index: offset + 1, endSeconds: (now - start).seconds, previous: previous, end: sample, lag: lag,
                    claimMilliseconds: probe.take(), xminHeld: holder.heldDuring(intervalStart, now),
                    inXminWindow: configuration.isInXminWindow(interval: offset),
                    serverCores: Self.cores(previousCPU.server, cpu.server, wall),
                    workerCores: Self.cores(previousCPU.worker, cpu.worker, wall),
                    loadAverage: SoakInterval.currentLoadAverage(), rate: rate)
                onInterval(interval)
                intervals.append(interval)
                previous = sample
                previousCPU = cpu
                intervalStart = now
            }
            try await group.waitForAll()
            return intervals
        }
    }

    /// Processor time over wall time: how many cores a process (or the server) kept busy.
    private static func cores(_ before: Double?, _ after: Double?, _ wall: Double) -> Double? {
        guard let before, let after, wall > 0 else { return nil }
        return (after - before) / wall
    }

    /// Fails unless the future jobs are all still waiting untouched, and every job of the soak left in
    /// the table is either waiting untouched or completed after exactly one attempt.
    private func verify(firstID: Int64) async throws {
        let outcome = try await context.database.pool.query(BenchSQL.soakOutcome(firstID: firstID))
        let untouched = try outcome.single(Int.self, "future_untouched")
        let wrong = try outcome.single(Int.self, "neither_waiting_nor_completed_once")
        guard untouched == configuration.futureJobs, wrong == 0 else {
            throw BenchError(
                "soak: \(untouched) of \(configuration.futureJobs) future jobs are untouched, and \(wrong) of the "
                    + "soak's jobs are neither waiting untouched nor completed after exactly one attempt")
        }
    }
}
