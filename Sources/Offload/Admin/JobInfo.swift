import Foundation
import PGClient

/// Everything recorded about one job, as `Offload.job(id:)` and `Offload.listJobs(_:)` read it.
///
/// Arguments and result stay JSON text exactly as PostgreSQL stores them; decode them with
/// `arguments(as:)` and `result(as:)`.
public struct JobInfo: Sendable, Equatable {
    /// The job id.
    public var id: Int64
    /// The queue it runs on.
    public var queue: String
    /// The function (job kind) that runs it.
    public var function: String
    /// Where the job is in its life.
    public var state: JobState
    /// Lower runs first, from -100 to 100.
    public var priority: Int
    /// Attempts started so far (0 before the first claim; reset to 0 by a retry).
    public var attempt: Int
    /// Attempts allowed before the job is dead.
    public var maxAttempts: Int
    /// The arguments, as JSON text.
    public var argumentsJSON: String
    /// The function's result, as JSON text, once completed with one.
    public var resultJSON: String?
    /// Every recorded failure, oldest first. A retry keeps the history.
    public var errors: [JobErrorRecord]
    /// The unique key, if the job was enqueued with one.
    public var uniqueKey: String?
    /// Free-form labels.
    public var tags: [String]
    /// The event that created this job, if `send` did.
    public var eventID: Int64?
    /// The worker that claimed the job last (kept after it finished).
    public var workerID: String?
    /// When the job may run next: its schedule, or the end of its backoff.
    public var runAt: Date
    /// When the job was enqueued.
    public var createdAt: Date
    /// When the latest attempt started.
    public var attemptedAt: Date?
    /// When the job completed, died or was cancelled.
    public var finishedAt: Date?
    /// Until when the running job's worker holds it (heartbeats extend it).
    public var leaseUntil: Date?
    /// When someone asked to cancel the job while it was running.
    public var cancelRequestedAt: Date?

    /// Decodes the arguments into `type`.
    public func arguments<T: Decodable>(as type: T.Type) throws -> T {
        try PGJSON.decode(T.self, from: argumentsJSON)
    }

    /// Decodes the result into `type`; nil when there is none.
    public func result<T: Decodable>(as type: T.Type) throws -> T? {
        try resultJSON.map { try PGJSON.decode(T.self, from: $0) }
    }

    /// Reads a row of `AdminSQL`'s job statements.
    init(row: Row) throws {
        id = try row.decode(Int64.self, "id")
        queue = try row.decode(String.self, "queue")
        function = try row.decode(String.self, "function")
        state = try row.decode(JobState.self, "state")
        priority = try row.decode(Int.self, "priority")
        attempt = try row.decode(Int.self, "attempt")
        maxAttempts = try row.decode(Int.self, "max_attempts")
        argumentsJSON = try row.decode(String.self, "args")
        resultJSON = try row.decode(String?.self, "result")
        errors = try JobErrorRecord.history(fromJSON: try row.decode(String.self, "errors"))
        uniqueKey = try row.decode(String?.self, "unique_key")
        tags = try row.decode([String].self, "tags")
        eventID = try row.decode(Int64?.self, "event_id")
        workerID = try row.decode(String?.self, "worker_id")
        runAt = try row.decode(Date.self, "run_at")
        createdAt = try row.decode(Date.self, "created_at")
        attemptedAt = try row.decode(Date?.self, "attempted_at")
        finishedAt = try row.decode(Date?.self, "finished_at")
        leaseUntil = try row.decode(Date?.self, "lease_until")
        cancelRequestedAt = try row.decode(Date?.self, "cancel_requested_at")
    }
}
