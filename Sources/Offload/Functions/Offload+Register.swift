import PGClient

extension Offload {
    /// Upserts `functions` into the `offload.functions` registry, so events fan out to them and
    /// SQL `offload.enqueue` picks their queue and attempts. Workers do this at start-up; an API process
    /// that sends events before any worker started should do it too.
    public func register(_ functions: [Function]) async throws {
        guard !functions.isEmpty else { return }
        try await pool.execute(RegistrySQL.upsert(functions))
    }
}

/// The functions registry's statements.
enum RegistrySQL {
    /// Binds: ids, events (as JSON arrays), queues, max attempts, timeouts, retry descriptions.
    static func upsert(_ functions: [Function]) -> Query {
        // Always in id order: two processes upserting the same rows in different orders deadlock
        // (seen when the example's API and workers started at the same moment).
        let functions = functions.sorted { $0.id < $1.id }
        let events = functions.map { function in PGJSON(rawJSON: (try? PGJSON(function.events).text) ?? "[]") }
        // The column is an `integer` of milliseconds; longer timeouts (over 24 days) are recorded as its
        // maximum rather than trap or fail the upsert. The worker enforces the real one.
        let timeouts = functions.map { Int(Int32(saturating: $0.options.timeout.seconds * 1000)) }
        let retry = functions.map { function in
            PGJSON(rawJSON: (try? PGJSON(function.options.backoff.registryDescription).text) ?? "{}")
        }
        return """
            INSERT INTO offload.functions AS f (id, events, queue, max_attempts, timeout_ms, retry, updated_at)
            SELECT
                r.id,
                ARRAY(SELECT jsonb_array_elements_text(r.events)),
                r.queue,
                r.max_attempts,
                r.timeout_ms,
                r.retry,
                now()
            FROM unnest(
                \(functions.map(\.id))::text[],
                \(events)::jsonb[],
                \(functions.map(\.options.queue))::text[],
                \(functions.map(\.options.maxAttempts))::int[],
                \(timeouts)::int[],
                \(retry)::jsonb[]
            ) AS r(id, events, queue, max_attempts, timeout_ms, retry)
            ON CONFLICT (id) DO UPDATE
            SET events = excluded.events,
                queue = excluded.queue,
                max_attempts = excluded.max_attempts,
                timeout_ms = excluded.timeout_ms,
                retry = excluded.retry,
                updated_at = now()
            """
    }
}
