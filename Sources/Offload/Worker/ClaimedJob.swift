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

    /// The positions of the claim's columns in its result, looked up once for all its rows.
    struct Columns {
        let id, function, queue, arguments, attempt, maxAttempts, eventID, runAt: Int

        init(_ columns: PGClient.Columns) throws {
            func position(_ name: String) throws -> Int {
                guard let index = columns.index(of: name) else {
                    throw PGError(.decoding, "no column \"\(name)\" in the claim's result", column: name)
                }
                return index
            }
            id = try position("id")
            function = try position("function")
            queue = try position("queue")
            arguments = try position("args")
            attempt = try position("attempt")
            maxAttempts = try position("max_attempts")
            eventID = try position("event_id")
            runAt = try position("run_at")
        }
    }

    /// Every job of a claim's result.
    static func all(in result: QueryResult) throws -> [ClaimedJob] {
        guard !result.rows.isEmpty else { return [] }
        let columns = try Columns(result.columns)
        return try result.rows.map { try ClaimedJob(row: $0, columns: columns) }
    }

    /// What every log line about this job carries: `job_id`, `function`, `queue`, `attempt`.
    /// Names are escaped (`escapingControlCharacters`): an enqueuer chooses them, and a newline or an
    /// escape sequence in one must not forge a log line or steer the terminal that shows the log.
    var logMetadata: Logger.Metadata {
        [
            "job_id": "\(id)", "function": "\(function.escapingControlCharacters)",
            "queue": "\(queue.escapingControlCharacters)", "attempt": "\(attempt)",
        ]
    }
}

extension ClaimedJob {
    /// Reads one row of a claim (in an extension, so that the memberwise initialiser stays for tests).
    init(row: Row, columns: Columns) throws {
        id = try row.decode(Int64.self, at: columns.id)
        function = try row.decode(String.self, at: columns.function)
        queue = try row.decode(String.self, at: columns.queue)
        argumentsJSON = try row.decode(String.self, at: columns.arguments)
        attempt = try row.decode(Int.self, at: columns.attempt)
        maxAttempts = try row.decode(Int.self, at: columns.maxAttempts)
        eventID = try row.decode(Int64?.self, at: columns.eventID)
        runAt = try row.decode(Date.self, at: columns.runAt)
    }
}
