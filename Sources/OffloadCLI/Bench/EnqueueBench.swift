import Offload
import PGClient

/// Enqueueing, as an application does it.
///
/// - Single: one client, one job per transaction, the API pattern (`BEGIN`, the business `INSERT`,
///   `enqueue`, `COMMIT`), next to the same transaction without the enqueue (`BEGIN`, `INSERT`,
///   `COMMIT`). Both run through the same pool, alternating in halves, so noise hits both alike.
/// - Bulk: one `enqueueMany` call with `bulkJobs` jobs, from Swift values (encoding included) to
///   committed rows.
struct EnqueueBench {
    struct SingleOutcome {
        var enqueuePerSecond: Double
        var bareInsertPerSecond: Double
    }

    let context: BenchContext

    func single() async throws -> SingleOutcome {
        let database = context.database
        let offload = Offload(pool: database.pool)
        try await database.reset()
        try await database.settle()
        let half = context.settings.enqueueSingleDuration / 2
        var bare = (count: 0, seconds: 0.0)
        var enqueue = (count: 0, seconds: 0.0)
        for _ in 0..<2 {
            let bareRound = try await repeatFor(half) {
                try await database.pool.transaction { connection -> Void in
                    try await connection.execute(BenchSQL.insertBusinessRow(name: "bench"))
                }
            }
            bare = (bare.count + bareRound.count, bare.seconds + bareRound.seconds)
            let enqueueRound = try await repeatFor(half) {
                try await database.pool.transaction { connection -> Void in
                    try await connection.execute(BenchSQL.insertBusinessRow(name: "bench"))
                    try await offload.enqueue(BenchJob(sequence: 0), on: connection)
                }
            }
            enqueue = (enqueue.count + enqueueRound.count, enqueue.seconds + enqueueRound.seconds)
        }
        return SingleOutcome(
            enqueuePerSecond: Double(enqueue.count) / enqueue.seconds,
            bareInsertPerSecond: Double(bare.count) / bare.seconds
        )
    }

    func bulk() async throws -> Double {
        let database = context.database
        let offload = Offload(pool: database.pool)
        try await database.reset()
        try await database.settle()
        let jobs = context.settings.bulkJobs
        let start = ContinuousClock.now
        let inserted = try await offload.enqueueMany((0..<jobs).map(BenchJob.init(sequence:)), on: database.pool)
        let seconds = (ContinuousClock.now - start).seconds
        guard inserted == jobs else { throw BenchError("bulk enqueue: \(inserted) of \(jobs) jobs inserted") }
        return Double(jobs) / seconds
    }

    /// Runs `body` again and again for `duration`; returns how often and for how long exactly.
    private func repeatFor(
        _ duration: Duration, _ body: () async throws -> Void
    ) async throws -> (count: Int, seconds: Double) {
        let start = ContinuousClock.now
        var count = 0
        while ContinuousClock.now - start < duration {
            try await body()
            count += 1
        }
        return (count, (ContinuousClock.now - start).seconds)
    }
}

/// A job for the fixture function `noop`, with one argument as real jobs have some.
struct BenchJob: JobArguments {
    static let function = "noop"
    var sequence: Int
}
