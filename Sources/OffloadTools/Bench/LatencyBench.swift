import Offload
import OffloadCLI
import PGClient

/// Latency: an idle worker, and jobs enqueued one by one, each in its own transaction, a fixed pause
/// apart. For each job, the time from the enqueueing transaction's commit returning to the producer
/// until the handler starts: the fixture function `stamp` records the wall clock as it starts, the
/// producer the wall clock as its commit returns; one machine, so one clock.
///
/// Measured just before, for scale: a durable commit (a one-row `UPDATE` in autocommit, the same
/// spacing apart). The claim does not wait for one (it commits asynchronously, see
/// `JobSQL.claimAvailable`); before it did, that flush was most of the latency on this disk.
struct LatencyBench {
    struct Outcome {
        var p50Milliseconds: Double
        var p90Milliseconds: Double
        var p99Milliseconds: Double
        var maxMilliseconds: Double
        var commitP50Milliseconds: Double
        var commitP99Milliseconds: Double
        /// From the commit to the claim transaction's start (`attempted_at`): the wake-up alone.
        var wakeP50Milliseconds: Double
    }

    let context: BenchContext

    func run() async throws -> Outcome {
        let settings = context.settings
        let database = context.database
        try await database.reset()
        try await database.settle()
        let commits = try await durableCommits()
        let worker = try await context.startWorker(concurrency: 50, claimBatch: 50)
        var committedAt: [Int64: Int64] = [:]
        do {
            // Idle: the start-up claim has found nothing and the worker waits for a notification.
            try await Task.sleep(for: .milliseconds(200))
            let offload = Offload(pool: database.pool)
            let producer = try await Connection.connect(database.configuration)
            let start = ContinuousClock.now
            for index in 0..<settings.latencyJobs {
                try await Task.sleep(until: start + settings.latencySpacing * index)
                // Autocommit: the statement is its transaction, so its return is the commit's.
                let id = try await offload.enqueue(function: "stamp", arguments: EmptyArguments(), on: producer)
                committedAt[id] = WallClock.microseconds()
            }
            try await database.waitUntilDrained(timeout: .seconds(30))
        } catch {
            worker.killNow()
            throw error
        }
        try await worker.stopWorker()

        let stamps = try await database.pool.query(BenchSQL.stamps).rows
        var latencies: [Double] = []
        var wakes: [Double] = []
        for row in stamps {
            let id = try row.decode(Int64.self, "job_id")
            guard let committed = committedAt[id] else { continue }
            latencies.append(Double(try row.decode(Int64.self, "started_us") - committed) / 1_000)
            wakes.append(Double(try row.decode(Int64.self, "attempted_us") - committed) / 1_000)
        }
        wakes.sort()
        guard latencies.count == settings.latencyJobs else {
            throw BenchError("latency: \(latencies.count) of \(settings.latencyJobs) jobs recorded their start")
        }
        latencies.sort()
        return Outcome(
            p50Milliseconds: Statistics.percentile(0.50, ofSorted: latencies),
            p90Milliseconds: Statistics.percentile(0.90, ofSorted: latencies),
            p99Milliseconds: Statistics.percentile(0.99, ofSorted: latencies),
            maxMilliseconds: latencies.last ?? 0,
            commitP50Milliseconds: Statistics.percentile(0.50, ofSorted: commits),
            commitP99Milliseconds: Statistics.percentile(0.99, ofSorted: commits),
            wakeP50Milliseconds: Statistics.percentile(0.50, ofSorted: wakes)
        )
    }

    /// How long a durable one-row commit takes, `latencyJobs` times, sorted (milliseconds).
    private func durableCommits() async throws -> [Double] {
        let settings = context.settings
        let connection = try await Connection.connect(context.database.configuration)
        for query in BenchSQL.fillMinimal(1) { try await connection.execute(query) }
        var durations: [Double] = []
        let start = ContinuousClock.now
        for index in 0..<settings.latencyJobs {
            try await Task.sleep(until: start + settings.latencySpacing * index)
            let before = ContinuousClock.now
            try await connection.execute(BenchSQL.touchMinimal)
            durations.append((ContinuousClock.now - before).seconds * 1_000)
        }
        return durations.sorted()
    }
}

/// `{}`: the arguments of the fixture functions that read none.
struct EmptyArguments: Codable, Sendable {}
