import PGClient

/// The SQL of the soak (`SoakBench`): its backdrop, what it reads at every interval, and its check.
extension BenchSQL {
    /// `count` no-op jobs scheduled for tomorrow (a day from now, then one every 10 ms), written
    /// directly, as an app that schedules ahead would have left them.
    ///
    /// Binds: count.
    static func scheduleForTomorrow(_ count: Int) -> Query {
        """
        INSERT INTO offload.jobs (function, run_at)
        SELECT 'noop', now() + interval '1 day' + make_interval(secs => n::float8 / 100)
        FROM generate_series(1, \(count)::int) AS n
        """
    }

    /// What the soak reads at the end of every interval, in one statement so that the counts agree
    /// with each other (one snapshot): the newest job id (nothing but the producer inserts, so ids
    /// count the jobs produced), the jobs due and not finished (`unfinished`; `waiting` of them not
    /// yet claimed) and the lowest id among them, the jobs table's sizes, and its statistics' dead and
    /// live rows and vacuum count. The claim index is measured by name (null if it has another).
    ///
    /// Binds: none. Returns: `at` (the server's clock, seconds since 1970), `last_id`, `waiting`,
    /// `unfinished`, `first_unfinished_id`, `table_bytes`, `index_bytes`, `claim_index_bytes`,
    /// `dead_tuples`, `live_tuples`, `vacuums`.
    static let soakSample: Query = """
        SELECT extract(epoch FROM clock_timestamp())::float8 AS at,
               (SELECT coalesce(max(id), 0) FROM offload.jobs) AS last_id,
               w.waiting,
               w.waiting + r.running AS unfinished,
               least(w.first_id, r.first_id) AS first_unfinished_id,
               pg_table_size('offload.jobs') AS table_bytes,
               pg_indexes_size('offload.jobs') AS index_bytes,
               pg_relation_size(to_regclass('offload.jobs_claim_idx')) AS claim_index_bytes,
               s.n_dead_tup AS dead_tuples,
               s.n_live_tup AS live_tuples,
               s.vacuum_count + s.autovacuum_count AS vacuums
        FROM (
            -- Two counts, each matching a partial index's predicate (the claim index, the running
            -- one), rather than one over three states, which only a scan of the whole table serves.
            SELECT count(*) AS waiting,
                   min(id) AS first_id
            FROM offload.jobs
            WHERE state IN ('available', 'retryable')
              AND run_at <= now()
        ) AS w
        CROSS JOIN (
            SELECT count(*) AS running,
                   min(id) AS first_id
            FROM offload.jobs
            WHERE state = 'running'
        ) AS r
        CROSS JOIN pg_stat_user_tables AS s
        WHERE s.relid = 'offload.jobs'::regclass
        """

    /// Enqueue → start of the jobs claimed in a window of the server's clock: claim time
    /// (`attempted_at`) minus enqueue time (`created_at`). Every job claimed in the window was either
    /// due and unfinished at its start or enqueued after it, so its id is at least `fromID`, which
    /// spares the scan the older rows.
    ///
    /// Binds: from id, window start and end (seconds since 1970). Returns: `started`, `p50_ms`,
    /// `p99_ms`, `max_ms`.
    static func soakLag(fromID: Int64, from: Double, until: Double) -> Query {
        """
        SELECT count(*) AS started,
               coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms), 0)::float8 AS p50_ms,
               coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms), 0)::float8 AS p99_ms,
               coalesce(max(lag_ms), 0)::float8 AS max_ms
        FROM (
            SELECT extract(epoch FROM attempted_at - created_at) * 1000 AS lag_ms
            FROM offload.jobs
            WHERE id >= \(fromID)
              AND attempted_at >= to_timestamp(\(from))
              AND attempted_at < to_timestamp(\(until))
        ) AS started
        """
    }

    /// The soak's check once the worker has stopped: the jobs scheduled for tomorrow still waiting
    /// untouched, and the soak's own jobs (ids from `firstID`) that are neither waiting untouched (a job
    /// handed back at shutdown has its attempt refunded) nor completed after exactly one attempt.
    /// Pruned ones are gone: they had completed.
    ///
    /// Binds: the soak's first job id. Returns: `future_untouched`, `neither_waiting_nor_completed_once`.
    static func soakOutcome(firstID: Int64) -> Query {
        """
        SELECT count(*) FILTER (
                   WHERE id < \(firstID)
                     AND state = 'available'
                     AND attempt = 0
               ) AS future_untouched,
               count(*) FILTER (
                   WHERE id >= \(firstID)
                     AND NOT (state = 'completed' AND attempt = 1)
                     AND NOT (state = 'available' AND attempt = 0)
               ) AS neither_waiting_nor_completed_once
        FROM offload.jobs
        """
    }
}
