import PGClient

/// The statements app code runs to enqueue. They call the SQL API in `Migrations/` (`offload.enqueue`,
/// `offload.enqueue_many`, `offload.send`), so Swift and every other language share one implementation
/// of defaults, validation and unique keys.
enum EnqueueSQL {
    /// Binds: function, args, queue, run_at, delay seconds, priority, max_attempts, unique_key, tags.
    /// Returns: `id`.
    static func enqueue(function: String, arguments: PGJSON, options: JobOptions) -> Query {
        """
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
    }

    /// Binds: one array per column, all of equal length. Returns: `inserted`.
    static func enqueueMany(_ requests: [EnqueueRequest]) throws -> Query {
        let runAts = try requests.map { request -> String? in
            if let runAt = request.options.runAt { return try runAt.pgText() }
            return nil
        }
        let delays = requests.map { $0.options.delaySeconds }
        return """
            SELECT offload.enqueue_many(
                \(requests.map(\.function))::text[],
                \(requests.map(\.arguments))::jsonb[],
                queues => \(requests.map(\.options.queue))::text[],
                run_ats => (
                    SELECT array_agg(coalesce(r.run_at, now() + make_interval(secs => r.delay)) ORDER BY r.n)
                    FROM unnest(\(runAts)::timestamptz[], \(delays)::float8[]) WITH ORDINALITY AS r(run_at, delay, n)
                ),
                priorities => \(requests.map(\.options.priority))::int[],
                max_attempts => \(requests.map(\.options.maxAttempts))::int[],
                unique_keys => \(requests.map(\.options.uniqueKey))::text[]
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
