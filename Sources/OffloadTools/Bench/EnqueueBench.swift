import Offload
import OffloadCLI
import PGClient

/// Enqueueing, as an application does it.
///
/// - Single: one client, one job per transaction, the API pattern (`BEGIN`, the business `INSERT`,
///   `enqueue`, `COMMIT`), next to the same transaction without the enqueue (`BEGIN`, `INSERT`,
///   `COMMIT`). Both run through the same pool, alternating in short slices, so noise hits both alike.
/// - Bulk: one `enqueueMany` call with `bulkJobs` jobs, from Swift values (encoding included) to
///   committed rows, next to a plain multi-row `INSERT` of the same rows into the same table.
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
        // Many short alternating slices rather than two long ones: a commit waits for the disk, whose
        // flush time drifts by a factor of several within seconds on a shared machine.
        let rounds = 8
        let half = context.settings.enqueueSingleDuration / (2 * rounds)
        var bare = (count: 0, seconds: 0.0)
        var enqueue = (count: 0, seconds: 0.0)
        for _ in 0..<rounds {
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

    struct BulkOutcome {
        var enqueuePerSecond: Double
        /// The same rows by a plain `INSERT … SELECT … FROM unnest(…)`, arrays built beforehand.
        var insertPerSecond: Double
    }

    func bulk() async throws -> BulkOutcome {
        let database = context.database
        let offload = Offload(pool: database.pool)
        let jobs = context.settings.bulkJobs

        // The ceiling first: the same rows into the same table (its indexes and trigger), without
        // the SQL API and without encoding anything on the clock.
        try await database.reset()
        try await database.settle()
        let arguments = try (0..<jobs).map { try PGJSON(BenchJob(sequence: $0)) }
        let insert = BenchSQL.insertJobs(
            functions: Array(repeating: BenchJob.function, count: jobs), arguments: arguments)
        let insertStart = ContinuousClock.now
        let insertedPlainly = try await database.pool.execute(insert)
        let insertSeconds = (ContinuousClock.now - insertStart).seconds
        guard insertedPlainly == jobs else { throw BenchError("bulk insert: \(insertedPlainly) of \(jobs) rows") }

        try await database.reset()
        try await database.settle()
        let start = ContinuousClock.now
        let inserted = try await offload.enqueueMany((0..<jobs).map(BenchJob.init(sequence:)), on: database.pool)
        let seconds = (ContinuousClock.now - start).seconds
        guard inserted == jobs else { throw BenchError("bulk enqueue: \(inserted) of \(jobs) jobs inserted") }
        return BulkOutcome(enqueuePerSecond: Double(jobs) / seconds, insertPerSecond: Double(jobs) / insertSeconds)
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
