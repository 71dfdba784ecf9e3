import Foundation
import PGClient

/// Reading and operating the queue: what `offload status`, `offload jobs …` and `offload prune` do,
/// for apps that want it in their own admin pages or tools. Each call runs on the client's pool.
extension Offload {
    // MARK: - Reading

    /// Jobs matching `filter`, newest first.
    public func listJobs(_ filter: JobFilter = JobFilter()) async throws -> [JobInfo] {
        try await pool.query(AdminSQL.listJobs(filter)).rows.map(JobInfo.init(row:))
    }

    /// One job with its whole history; nil when there is no such job (or it was pruned).
    public func job(id: Int64) async throws -> JobInfo? {
        try await pool.query(AdminSQL.job(id: id)).rows.first.map(JobInfo.init(row:))
    }

    /// `offload.queue_stats` with each queue's and function's recent completion rate.
    public func queueStats() async throws -> [QueueStat] {
        try await pool.query(AdminSQL.queueStats).rows.map(QueueStat.init(row:))
    }

    /// `offload.live_workers`: workers with a heartbeat in the last minute.
    public func liveWorkers() async throws -> [LiveWorker] {
        try await pool.query(AdminSQL.liveWorkers).rows.map(LiveWorker.init(row:))
    }

    /// `offload.throughput`: completed and dead jobs per minute of the last hour, newest first.
    public func throughput() async throws -> [ThroughputMinute] {
        try await pool.query(AdminSQL.throughput).rows.map(ThroughputMinute.init(row:))
    }

    /// Queue stats and live workers together, with the database's time, on one connection.
    public func status() async throws -> StatusSnapshot {
        try await pool.withConnection { connection in
            let at = try await connection.query(AdminSQL.now).single(Date.self, "now")
            let queues = try await connection.query(AdminSQL.queueStats).rows.map(QueueStat.init(row:))
            let workers = try await connection.query(AdminSQL.liveWorkers).rows.map(LiveWorker.init(row:))
            return StatusSnapshot(at: at, queues: queues, workers: workers)
        }
    }

    // MARK: - Operating

    /// Re-runs one job (`offload.retry`): a dead, cancelled, completed or retryable job becomes
    /// available now with a fresh attempt budget, optionally on `toQueue`; its error history is kept.
    /// Idle workers of the queue are woken.
    ///
    /// Throws a `PGError` with SQLSTATE 23505 when another job with the same function and unique key is
    /// waiting or running.
    public func retryJob(_ id: Int64, toQueue: String? = nil) async throws -> RetryOutcome {
        try await pool.transaction { connection in
            let retried = try await connection.query(AdminSQL.retry(id: id, toQueue: toQueue)).single(
                Bool.self, "retried")
            guard let row = try await connection.query(AdminSQL.stateAndQueue(id: id)).first else { return .notFound }
            if retried { return .retried(queue: try row.decode(String.self, "queue")) }
            return .notRetryable(try row.decode(JobState.self, "state"))
        }
    }

    /// Re-runs every dead job matching `filter` in one statement, optionally re-routed to `toQueue`, and
    /// wakes the target queues' workers. With `dryRun`, changes nothing and reports what would happen.
    ///
    /// Of dead jobs sharing a unique key only the newest is re-run, and none while a job with that key
    /// is active; those are reported with `retried` false.
    public func retryDeadJobs(
        _ filter: DeadJobFilter = DeadJobFilter(), toQueue: String? = nil, dryRun: Bool = false
    ) async throws -> DeadJobRetry {
        // The statement sets the queue itself, so it applies the SQL API's rule for queue names here:
        // no control characters (they would drive the terminal of whoever lists the jobs).
        if let toQueue,
            toQueue.isEmpty || toQueue.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            throw PGError(
                .server,
                "retryDeadJobs: to_queue must be a name without control characters, got \"\(toQueue.escapingControlCharacters)\"",
                sqlState: .invalidParameterValue
            )
        }
        return try await pool.transaction { connection in
            let rows = try await connection.query(AdminSQL.retryDead(filter, toQueue: toQueue, dryRun: dryRun)).rows
            let jobs = try rows.map { row in
                DeadJobRetry.Job(
                    id: try row.decode(Int64.self, "id"),
                    function: try row.decode(String.self, "function"),
                    queue: try row.decode(String.self, "queue"),
                    targetQueue: try row.decode(String.self, "target_queue"),
                    retried: try row.decode(Bool.self, "retried")
                )
            }
            let result = DeadJobRetry(jobs: jobs, dryRun: dryRun)
            let queues = Set(result.retried.map(\.targetQueue))
            // No trigger fires on UPDATE (see Migrations/0001), so wake the workers here; PostgreSQL
            // delivers the notifications when the transaction commits.
            if !dryRun, !queues.isEmpty {
                try await connection.execute(MaintenanceSQL.notify(queues: queues.sorted()))
            }
            return result
        }
    }

    /// Cancels jobs (`offload.cancel`), in the order given; a repeated id is cancelled once. Waiting jobs
    /// are cancelled at once; a running job's worker is asked to stop it.
    public func cancelJobs(_ ids: [Int64]) async throws -> [JobCancellation] {
        var seen = Set<Int64>()
        let unique = ids.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { return [] }
        return try await pool.query(AdminSQL.cancel(ids: unique)).rows.map { row in
            let id = try row.decode(Int64.self, "id")
            let previous = try row.decode(JobState?.self, "previous_state")
            guard let state = try row.decode(JobState?.self, "state") else {
                return JobCancellation(jobID: id, outcome: .notFound)
            }
            let outcome: CancelOutcome
            switch state {
            case .running: outcome = .cancelRequested
            case .cancelled where previous != .cancelled: outcome = .cancelled
            default: outcome = .alreadyFinished(state)
            }
            return JobCancellation(jobID: id, outcome: outcome)
        }
    }

    /// Deletes jobs in `states` that finished more than `olderThan` ago, `batchSize` rows per statement
    /// (each its own short transaction, so pruning millions of rows never holds a huge one). Returns how
    /// many were deleted. Only finished states can be pruned: others in `states` are ignored.
    ///
    /// - Parameters:
    ///   - olderThan: how long ago the jobs must have finished (by the database's clock).
    ///   - states: defaults to `completed` and `cancelled`; add `dead` to drop dead-letter jobs too.
    ///   - batchSize: rows per `DELETE`. Defaults to 5,000.
    @discardableResult
    public func prune(
        olderThan: Duration, states: Set<JobState> = [.completed, .cancelled], batchSize: Int = 5_000
    ) async throws -> Int {
        var deleted = 0
        // One state per statement keeps each DELETE a range scan of jobs_finished_idx.
        for state in states.filter(\.isFinished).sorted(by: { $0.rawValue < $1.rawValue }) {
            while true {
                let count = try await pool.execute(
                    MaintenanceSQL.pruneFinished(
                        states: [state], retentionSeconds: olderThan.seconds, batchSize: max(1, batchSize)
                    )
                )
                deleted += count
                if count < max(1, batchSize) { break }
            }
        }
        return deleted
    }
}
