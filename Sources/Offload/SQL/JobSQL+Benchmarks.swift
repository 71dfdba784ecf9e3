import PGClient

/// The worker's claim and complete statements, exactly as it runs them, for `offload bench`: its
/// ceiling runs them under pgbench on Offload's schema (`own_sql_limit_jobs_per_s`), so the figure
/// follows every change to `JobSQL`. Not API: the statements change whenever the hot path does.
@_spi(Benchmarks)
public enum HotPathStatements {
    /// `JobSQL.claimAvailable`. Returns the claimed jobs, including `id` and `attempt`.
    public static func claim(queue: String, limit: Int, workerID: String, leaseSeconds: Double) -> Query {
        JobSQL.claimAvailable(queue: queue, limit: limit, workerID: workerID, leaseSeconds: leaseSeconds)
    }

    /// `JobSQL.completeMany` for jobs completed without a result.
    public static func complete(jobIDs: [Int64], attempts: [Int], workerID: String) -> Query {
        let completions = zip(jobIDs, attempts).map { JobOutcome.Completion(jobID: $0, attempt: $1, result: nil) }
        return JobSQL.completeMany(completions, workerID: workerID)
    }
}
