import Foundation
import PGClient

/// One failed attempt in a job's history (an element of `offload.jobs.errors`).
public struct JobErrorRecord: Sendable, Equatable {
    /// When the attempt failed (the database's clock).
    public var at: Date
    /// The attempt that failed (1 for the first).
    public var attempt: Int
    /// What went wrong, as the worker recorded it.
    public var message: String
    /// The kind of failure: the Swift error type, or `UnknownFunction`, `Timeout`, `LeaseExpired`, ….
    public var type: String?
    /// The worker that ran the attempt.
    public var worker: String?

    /// Creates a record.
    public init(at: Date, attempt: Int, message: String, type: String? = nil, worker: String? = nil) {
        self.at = at
        self.attempt = attempt
        self.message = message
        self.type = type
        self.worker = worker
    }

    /// The shape the worker writes; `at` is jsonb's rendering of a timestamptz
    /// (`2026-11-29T05:10:11.123456+00:00`), which Foundation's ISO 8601 decoder rejects for its
    /// microseconds, so it is parsed the way PostgreSQL's own output is.
    private struct Stored: Decodable {
        var at: String?
        var attempt: Int?
        var message: String?
        var type: String?
        var worker: String?
    }

    /// Parses a job's `errors` column. Entries written by hand may lack fields; they read as attempt 0,
    /// an empty message, and the Unix epoch.
    static func history(fromJSON text: String) throws -> [JobErrorRecord] {
        try PGJSON.decode([Stored].self, from: text).map { stored in
            JobErrorRecord(
                at: stored.at.flatMap { try? Date(pgText: $0) } ?? Date(timeIntervalSince1970: 0),
                attempt: stored.attempt ?? 0,
                message: stored.message ?? "",
                type: stored.type,
                worker: stored.worker
            )
        }
    }
}
