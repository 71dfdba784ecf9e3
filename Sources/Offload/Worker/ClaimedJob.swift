import Foundation
import Logging
import PGClient

/// A job as the claim statement returns it.
struct ClaimedJob: Sendable {
    let id: Int64
    let function: String
    let queue: String
    let argumentsJSON: String
    let attempt: Int
    let maxAttempts: Int
    let eventID: Int64?
    let runAt: Date

    init(row: Row) throws {
        id = try row.decode(Int64.self, "id")
        function = try row.decode(String.self, "function")
        queue = try row.decode(String.self, "queue")
        argumentsJSON = try row.decode(String.self, "args")
        attempt = try row.decode(Int.self, "attempt")
        maxAttempts = try row.decode(Int.self, "max_attempts")
        eventID = try row.decode(Int64?.self, "event_id")
        runAt = try row.decode(Date.self, "run_at")
    }

    /// What every log line about this job carries: `job_id`, `function`, `queue`, `attempt`.
    var logMetadata: Logger.Metadata {
        ["job_id": "\(id)", "function": "\(function)", "queue": "\(queue)", "attempt": "\(attempt)"]
    }
}
