import PGClient

/// What `GET /api/sources/:id` answers: the source and the state of the background work it caused.
public struct SourceStatus: Codable, Sendable {
    /// The `sources` row.
    public var id: Int64
    /// Whose source it is.
    public var userId: Int64
    /// Where the source lives.
    public var url: String
    /// The `api/source.connected` event sent with the source.
    public var eventId: Int64?
    /// When the source was connected (ISO 8601).
    public var createdAt: String
    /// When `backfill-user-data` finished, nil until then.
    public var backfilledAt: String?
    /// Rows `backfill-user-data` wrote to `source_documents`.
    public var documentsImported: Int
    /// Whether `send-welcome-email` wrote its `outbox` row.
    public var welcomeEmailQueued: Bool
    /// One per function subscribed to the event.
    public var jobs: [Job]

    /// One background job of the source.
    public struct Job: Codable, Sendable {
        /// The `offload.jobs` row.
        public var id: Int64
        /// The function that runs it.
        public var function: String
        /// available, running, retryable, completed, dead or cancelled.
        public var state: String
        /// Attempts started so far.
        public var attempt: Int
        /// Attempts allowed before the job is dead.
        public var maxAttempts: Int
        /// When it was enqueued (ISO 8601).
        public var createdAt: String
        /// When it completed, died or was cancelled; nil until then.
        public var finishedAt: String?
        /// The failed attempts, oldest first.
        public var errors: [AttemptError]
    }

    /// A failed attempt, as Offload recorded it.
    public struct AttemptError: Codable, Sendable {
        /// Which attempt failed.
        public var attempt: Int?
        /// When (ISO 8601).
        public var at: String?
        /// What the function threw.
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
