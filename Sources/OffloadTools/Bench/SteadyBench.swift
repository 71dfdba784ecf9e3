import OffloadCLI
import PGClient

/// Steady state: a producer enqueues at a fixed rate while one worker process keeps up; the highest
/// rate at which it still keeps up.
///
/// Each step runs the producer (`RateProducer`) for `steadyStepDuration`. A step passes when the
/// producer held its rate (97%), the jobs' lag (claim time minus enqueue time, from their timestamps)
/// stayed under 250 ms at the 99th percentile, and at most 100 ms worth of jobs were left waiting
/// when the producer stopped.
/// The rate doubles until a step fails, then bisects between the best pass and the first failure.
struct SteadyBench {
    struct Step {
        var rate: Int
        var achievedRate: Double
        var lagP99Milliseconds: Double
        var waitingAtEnd: Int
        var passed: Bool
    }

    struct Outcome {
        var jobsPerSecond: Double
        var lagP99Milliseconds: Double
    }

    static let lagBoundMilliseconds = 250.0

    let context: BenchContext

    func run() async throws -> Outcome {
        let settings = context.settings
        let worker = try await context.startWorker(concurrency: settings.concurrency, claimBatch: settings.claimBatch)
        var best: Step?
        var slowest: Step?
        var lowestFailure: Int?
        do {
            var rate = settings.steadyStartRate
            for _ in 0..<settings.steadyMaxSteps {
                let step = try await measure(rate: rate)
                context.progress(
                    "  steady \(rate) jobs/s: \(step.passed ? "kept up" : "fell behind") "
                        + "(lag p99 \(Int(step.lagP99Milliseconds)) ms, \(step.waitingAtEnd) waiting at the end)")
                if step.passed {
                    if step.rate > best?.rate ?? 0 { best = step }
                } else {
                    if step.rate < slowest?.rate ?? .max { slowest = step }
                    lowestFailure = min(lowestFailure ?? .max, rate)
                }
                let low = best?.rate ?? 0
                if let high = lowestFailure {
                    // Close enough: within 5% (or 100 jobs/s).
                    if high - low <= max(low / 20, 100) { break }
                    rate = (low + high) / 2
                } else {
                    rate *= 2
                }
            }
        } catch {
            worker.killNow()
            throw error
        }
        try await worker.stopWorker()
        guard let best else {
            // A figure, not a failure: on a machine busy with other work (a test suite beside it) even
            // the first rate can fall behind. Reported as 0 jobs/s kept up, with the lag it had.
            context.progress("  steady state: did not keep up even at \(settings.steadyStartRate) jobs/s; reporting 0")
            return Outcome(jobsPerSecond: 0, lagP99Milliseconds: slowest?.lagP99Milliseconds ?? 0)
        }
        return Outcome(jobsPerSecond: best.achievedRate, lagP99Milliseconds: best.lagP99Milliseconds)
    }

    /// One step at `rate` jobs per second.
    private func measure(rate: Int) async throws -> Step {
        let database = context.database
        try await database.waitUntilDrained(timeout: .seconds(60))
        try await database.reset()
        try await database.settle()
        let duration = context.settings.steadyStepDuration
        let start = ContinuousClock.now
        let produced = try await database.pool.withConnection { producer in
            try await RateProducer(rate: rate).run(on: producer, from: start, for: duration)
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let waiting = try await database.pool.query(BenchSQL.waiting).single(Int.self, "waiting")
        try await database.waitUntilDrained(timeout: .seconds(60))
        let lag = try await database.pool.query(BenchSQL.steadyLag)
        let p99 = try lag.single(Double.self, "p99_ms")
        let achieved = Double(produced) / elapsed
        let passed =
            achieved >= 0.97 * Double(rate) && p99 <= Self.lagBoundMilliseconds
            && waiting <= max(rate / 10, 50)
        return Step(rate: rate, achievedRate: achieved, lagP99Milliseconds: p99, waitingAtEnd: waiting, passed: passed)
    }
}
