import Logging
import PGClient

/// Rescue, pruning and clean-up, run by one elected worker at a time.
///
/// Election is a session advisory lock held on a connection of its own: when the leader's process or
/// connection dies, PostgreSQL releases the lock and another worker takes over at its next try.
struct Maintenance: Sendable {
    let configuration: MaintenanceConfiguration
    /// The workers' lease: after a PostgreSQL restart, rescue waits this long, and it stands in for the
    /// lease of workers that did not record their own (see `MaintenanceSQL.rescueExpired`).
    var leaseDuration: Duration = .seconds(30)
    let connectionConfiguration: ConnectionConfiguration
    let metrics: WorkerMetrics
    let logger: Logger
    /// Told of each pass (the worker's observer, for tests); nil outside tests.
    var observer: WorkerObserver?

    /// Tries to lead and, while leading, runs a maintenance pass every interval, until cancelled.
    func run() async {
        guard configuration.enabled else { return }
        while !Task.isCancelled {
            do {
                let connection = try await Connection.connect(connectionConfiguration)
                if try await connection.query(MaintenanceSQL.tryLead()).single(Bool.self, "acquired") {
                    logger.info("elected to run maintenance")
                    try await lead(on: connection)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning(
                    "maintenance failed; will try again",
                    metadata: ["error": "\(String(describing: error).escapingControlCharacters)"])
            }
            try? await Task.sleep(for: configuration.interval)
        }
    }

    /// While elected: maintenance passes every interval on the leader's connection, and the claim
    /// floors several times a second on one of their own (a pass can prune for seconds). Returns or
    /// throws when either stops; the other is cancelled, and the caller's connection (and with it the
    /// leadership) goes.
    private func lead(on connection: Connection) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try await runPass(on: connection)
                    try await Task.sleep(for: configuration.interval)
                }
            }
            group.addTask { try await ClaimFloors.run(connectionConfiguration: connectionConfiguration) }
            try await group.next()
            group.cancelAll()
        }
    }

    /// One pass: rescue expired leases, prune old finished jobs, forget long-gone workers.
    func runPass(on connection: Connection) async throws {
        let rescued = try await connection.query(
            MaintenanceSQL.rescueExpired(
                leaseSeconds: leaseDuration.seconds, graceAfterServerStart: leaseDuration.seconds)
        ).rows
        if !rescued.isEmpty {
            let states = try rescued.map { try $0.decode(JobState.self, "state") }
            let queues = try rescued.compactMap { row -> String? in
                try row.decode(JobState.self, "state") == .retryable ? row.decode(String.self, "queue") : nil
            }
            if !queues.isEmpty { try await connection.execute(MaintenanceSQL.notify(queues: Array(Set(queues)))) }
            metrics.rescued(count: rescued.count)
            let sampleIDs = try rescued.prefix(20).map { try $0.decode(Int64.self, "id") }
            logger.info(
                "rescued jobs whose worker stopped renewing their lease",
                metadata: [
                    "count": "\(rescued.count)",
                    "dead": "\(states.filter { $0 == .dead }.count)",
                    "job_ids": "\(sampleIDs)",
                ]
            )
        }
        let pruned = try await prune(on: connection)
        if pruned > 0 { logger.debug("pruned finished jobs and old events", metadata: ["count": "\(pruned)"]) }
        try await connection.execute(MaintenanceSQL.forgetStaleWorkers())
        if let observer { observer(.maintenanceRan(rescued: rescued.count)) }
    }

    /// How long one pass may spend pruning. Each batch is its own short transaction; the budget only
    /// keeps a large backlog from delaying the next pass's rescue for long. Defaults to 2 seconds
    /// (tests that count what one pass prunes set more: a loaded machine can spend 2 s on a batch).
    var pruneBudget: Duration = .seconds(2)

    /// Deletes finished jobs and old events past their retention, batch after batch until a batch
    /// comes up short (caught up) or `pruneBudget` is spent. One batch per pass capped pruning at
    /// 10,000 rows a second, below what workers finish under sustained load, so the table grew
    /// without bound (issue 15). Returns how many rows were deleted.
    func prune(on connection: Connection) async throws -> Int {
        let deadline = ContinuousClock.now + pruneBudget
        let batch = configuration.pruneBatchSize
        var statements = [
            MaintenanceSQL.pruneFinished(
                states: [.completed, .cancelled], retentionSeconds: configuration.completedRetention.seconds,
                batchSize: batch
            )
        ]
        if let deadRetention = configuration.deadRetention {
            statements.append(
                MaintenanceSQL.pruneFinished(states: [.dead], retentionSeconds: deadRetention.seconds, batchSize: batch)
            )
        }
        statements.append(
            MaintenanceSQL.pruneEvents(retentionSeconds: configuration.completedRetention.seconds, batchSize: batch)
        )
        var pruned = 0
        for statement in statements {
            while true {
                let deleted = try await connection.execute(statement)
                pruned += deleted
                if deleted < batch || ContinuousClock.now >= deadline || Task.isCancelled { break }
            }
        }
        return pruned
    }
}
