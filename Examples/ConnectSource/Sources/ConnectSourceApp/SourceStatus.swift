import PGClient

/// What `GET /api/sources/:id` answers: the source and the state of the background work it caused.
public struct SourceStatus: Codable, Sendable {
    public var id: Int64
    public var userId: Int64
    public var url: String
    /// The `api/source.connected` event sent with the source.
    public var eventId: Int64?
    public var createdAt: String
    /// When `backfill-user-data` finished, nil until then.
    public var backfilledAt: String?
    public var documentsImported: Int
    public var welcomeEmailQueued: Bool
    /// One per function subscribed to the event.
    public var jobs: [Job]

    /// One background job of the source.
    public struct Job: Codable, Sendable {
        public var id: Int64
        public var function: String
        /// available, running, retryable, completed, dead or cancelled.
        public var state: String
        public var attempt: Int
        public var maxAttempts: Int
        public var createdAt: String
        public var finishedAt: String?
        /// The failed attempts, oldest first.
        public var errors: [AttemptError]
    }

    /// A failed attempt, as Offload recorded it.
    public struct AttemptError: Codable, Sendable {
        public var attempt: Int?
        public var at: String?
        public var message: String?
    }

    /// Loads source `id` and its jobs; nil when there is no such source.
    ///
    /// The jobs come from `offload.jobs` by `event_id` (indexed), the documented way to find the runs
    /// of an event.
    public static func load(id: Int64, from database: some Queryable) async throws -> SourceStatus? {
        let result = try await database.query(
            """
            SELECT jsonb_build_object(
                'id', s.id,
                'userId', s.user_id,
                'url', s.url,
                'eventId', s.event_id,
                'createdAt', s.created_at,
                'backfilledAt', s.backfilled_at,
                'documentsImported', (SELECT count(*) FROM source_documents AS d WHERE d.source_id = s.id),
                'welcomeEmailQueued', EXISTS (SELECT FROM outbox AS o WHERE o.source_id = s.id AND o.kind = 'welcome'),
                'jobs', coalesce(
                    (
                        SELECT jsonb_agg(
                            jsonb_build_object(
                                'id', j.id,
                                'function', j.function,
                                'state', j.state,
                                'attempt', j.attempt,
                                'maxAttempts', j.max_attempts,
                                'createdAt', j.created_at,
                                'finishedAt', j.finished_at,
                                'errors', j.errors
                            )
                            ORDER BY j.function
                        )
                        FROM offload.jobs AS j
                        WHERE j.event_id = s.event_id
                    ),
                    '[]'
                )
            ) AS source
            FROM sources AS s
            WHERE s.id = \(id)
            """
        )
        guard let row = result.first else { return nil }
        return try row.decodeJSON(SourceStatus.self, "source")
    }
}
