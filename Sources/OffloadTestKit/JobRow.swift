import Foundation
import Offload
import PGClient

/// A job row as tests and tools read it.
public struct JobRow: Sendable {
    public let id: Int64
    public let function: String
    public let queue: String
    public let state: JobState
    public let attempt: Int
    public let maxAttempts: Int
    public let argumentsJSON: String
    public let resultJSON: String?
    public let errorsJSON: String
    public let runAt: Date
    public let eventID: Int64?

    /// Reads every job, in id order.
    public static func all(_ database: some Queryable) async throws -> [JobRow] {
        try await database.query(
            """
            SELECT id, function, queue, state, attempt, max_attempts, args, result, errors, run_at, event_id
            FROM offload.jobs
            ORDER BY id
            """
        ).rows.map(JobRow.init(row:))
    }

    /// Reads one job.
    public static func find(_ id: Int64, in database: some Queryable) async throws -> JobRow? {
        try await database.query(
            """
            SELECT id, function, queue, state, attempt, max_attempts, args, result, errors, run_at, event_id
            FROM offload.jobs
            WHERE id = \(id)
            """
        ).rows.first.map(JobRow.init(row:))
    }

    init(row: Row) throws {
        id = try row.decode(Int64.self, "id")
        function = try row.decode(String.self, "function")
        queue = try row.decode(String.self, "queue")
        state = try row.decode(JobState.self, "state")
        attempt = try row.decode(Int.self, "attempt")
        maxAttempts = try row.decode(Int.self, "max_attempts")
        argumentsJSON = try row.decode(String.self, "args")
        resultJSON = try row.decode(String?.self, "result")
        errorsJSON = try row.decode(String.self, "errors")
        runAt = try row.decode(Date.self, "run_at")
        eventID = try row.decode(Int64?.self, "event_id")
    }

    /// The recorded errors, oldest first.
    public var errors: [RecordedError] {
        (try? PGJSON.decode([RecordedError].self, from: errorsJSON)) ?? []
    }
}

/// One entry of a job's error history.
public struct RecordedError: Sendable, Decodable {
    public let attempt: Int
    public let message: String
    public let type: String?
    public let at: String
}
