import PGClient

/// The statements app code runs to enqueue. They call the SQL API in `Migrations/` (`offload.enqueue`,
/// `offload.enqueue_many`, `offload.send`), so Swift and every other language share one implementation
/// of defaults, validation and unique keys.
enum EnqueueSQL {
    /// Binds: function, args, queue, run_at, delay seconds, priority, max_attempts, unique_key, tags.
    /// Returns: `id`.
    static func enqueue(function: String, arguments: PGJSON, options: JobOptions) -> Query {
        // Prepared: it runs once per API request, and its plan (one function call) has no choices.
        let enqueue: Query = """
            SELECT offload.enqueue(
                \(function),
                \(arguments)::jsonb,
                queue => \(options.queue)::text,
                run_at => coalesce(\(options.runAt)::timestamptz, now() + make_interval(secs => \(options.delaySeconds)::float8)),
                priority => \(options.priority)::int,
                max_attempts => \(options.maxAttempts)::int,
                unique_key => \(options.uniqueKey)::text,
                tags => \(options.tags)::text[]
            ) AS id
            """
        return enqueue.prepared()
    }

    /// Binds: one array per column, all of equal length, or NULL for a column where every job takes
    /// the default (`enqueue_many` reads a NULL array as "defaults for every job"): a backfill of
    /// plain jobs then builds, sends and unnests two arrays instead of seven. Throws for a `runAt`
    /// PostgreSQL cannot represent. Returns: `inserted`.
    static func enqueueMany(_ requests: [EnqueueRequest]) throws -> Query {
        let options = requests.map(\.options)
        let scheduled = options.contains { $0.runAt != nil || $0.delay != nil }
        let runAts = scheduled ? try options.map { try $0.runAt.flatMap { try $0.pgText() } } : nil
        let delays = scheduled ? options.map { $0.delaySeconds } : nil
        let queues = options.contains { $0.queue != nil } ? options.map(\.queue) : nil
        let priorities = options.contains { $0.priority != 0 } ? options.map(\.priority) : nil
        let maxAttempts = options.contains { $0.maxAttempts != nil } ? options.map(\.maxAttempts) : nil
        let uniqueKeys = options.contains { $0.uniqueKey != nil } ? options.map(\.uniqueKey) : nil
        return """
            SELECT offload.enqueue_many(
                \(requests.map(\.function))::text[],
                \(requests.map(\.arguments))::jsonb[],
                queues => \(queues)::text[],
                run_ats => (
                    SELECT array_agg(coalesce(r.run_at, now() + make_interval(secs => r.delay)) ORDER BY r.n)
                    FROM unnest(\(runAts)::timestamptz[], \(delays)::float8[]) WITH ORDINALITY AS r(run_at, delay, n)
                ),
                priorities => \(priorities)::int[],
                max_attempts => \(maxAttempts)::int[],
                unique_keys => \(uniqueKeys)::text[]
            ) AS inserted
            """
    }

    /// Binds: name, data, idempotency key. Returns: `id` (the event's).
    static func send(name: String, data: PGJSON, idempotencyKey: String?) -> Query {
        """
        SELECT offload.send(\(name), \(data)::jsonb, idempotency_key => \(idempotencyKey)::text) AS id
        """
    }
}
