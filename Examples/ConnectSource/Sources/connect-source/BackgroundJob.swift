import PGClient

/// One job caused by one of the run's requests, or a source without any (`function` nil).
struct BackgroundJob: Sendable {
    var sourceID: Int64
    var function: String?
    var state: String?
    var attempt: Int
    var failedAttempts: Int
    /// Seconds since 1970, on the database's clock.
    var sourceCreatedAt: Double
    var finishedAt: Double?

    var isUnfinished: Bool { ["available", "running", "retryable"].contains(state ?? "") }

    /// The jobs of `sources`, found through the event each source stored.
    static func load(sources: [Int64], from database: some Queryable) async throws -> [BackgroundJob] {
        let result = try await database.query(
            """
            SELECT
                s.id AS source_id,
                j.function,
                j.state::text AS state,
                coalesce(j.attempt, 0) AS attempt,
                coalesce(jsonb_array_length(j.errors), 0) AS failed_attempts,
                extract(epoch FROM s.created_at)::float8 AS source_created_at,
                extract(epoch FROM j.finished_at)::float8 AS finished_at
            FROM unnest(\(sources)::bigint[]) AS run (source_id)
            JOIN sources AS s ON s.id = run.source_id
            LEFT JOIN offload.jobs AS j ON j.event_id = s.event_id
            """
        )
        return try result.rows.map { row in
            BackgroundJob(
                sourceID: try row.decode(Int64.self, "source_id"),
                function: try row.decode(String?.self, "function"),
                state: try row.decode(String?.self, "state"),
                attempt: try row.decode(Int.self, "attempt"),
                failedAttempts: try row.decode(Int.self, "failed_attempts"),
                sourceCreatedAt: try row.decode(Double.self, "source_created_at"),
                finishedAt: try row.decode(Double?.self, "finished_at")
            )
        }
    }
}
