import Logging
import PGClient

/// What a running function knows about its job, and the transaction that can complete it.
public struct JobContext: Sendable {
    /// The job's id.
    public let jobID: Int64
    /// The function id.
    public let function: String
    /// The queue the job was claimed from.
    public let queue: String
    /// This attempt's number, 1 for the first.
    public let attempt: Int
    /// The attempts allowed.
    public let maxAttempts: Int
    /// The event that created the job, when it came from one.
    public let eventID: Int64?
    /// A logger whose metadata names the job (`job_id`, `function`, `queue`, `attempt`).
    ///
    /// Built on each use (cheaply: one metadata update), so jobs that never log pay nothing for it.
    public var logger: Logger {
        var logger = workerLogger
        logger.handler.metadata.merge(
            [
                "job_id": "\(jobID)", "function": "\(function.escapingControlCharacters)",
                "queue": "\(queue.escapingControlCharacters)", "attempt": "\(attempt)",
            ]
        ) { _, job in job }
        return logger
    }
    /// The worker's pool, for the function's own queries.
    public let pool: ConnectionPool
    /// The worker's logger, without the job's metadata.
    let workerLogger: Logger
    let completion: JobCompletion

    /// Runs `body` in a transaction that also marks this job completed with `result`, so the
    /// function's own writes and the job's completion commit together or not at all (exactly-once
    /// effects on this database). If the transaction rolls back, the attempt failed.
    ///
    /// Call it at most once, as the function's last step; the worker then records nothing more.
    public func transaction<T: Sendable>(
        result: (some Encodable & Sendable)? = Optional<String>.none,
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        let resultJSON = try result.map { try PGJSON($0) }
        return try await pool.transaction { connection in
            let value = try await body(connection)
            try await completion.completeInTransaction(resultJSON, on: connection)
            return value
        }
    }

    /// Whether the job was cancelled, timed out or the worker is shutting down. Long loops should check
    /// it (or `Task.checkCancellation()`) and stop.
    public var isCancelled: Bool { Task.isCancelled }
}
