import PGClient

/// The statements behind `Offload+Admin` (and so behind `offload status`, `offload jobs …` and
/// `offload prune`). Reads go through the monitoring views where one exists, so the command line and
/// SQL users always see the same numbers; writes follow the SQL API's rules (`offload.retry`,
/// `offload.cancel`).
enum AdminSQL {
    /// The columns `JobInfo(row:)` reads. Tags come flattened to one dimension without NULLs: the SQL
    /// API refuses other arrays now (migration 8), but rows written before it, or by the owner
    /// directly, may hold them, and the readers must still show the job.
    private static let jobColumns = """
        id, queue, function, state, priority, attempt, max_attempts, args, result, errors, unique_key,
        ARRAY(SELECT tag FROM pg_catalog.unnest(tags) AS tag WHERE tag IS NOT NULL) AS tags,
        event_id, worker_id, run_at, created_at, attempted_at, finished_at, lease_until, cancel_requested_at
        """

    /// Jobs matching `filter`, newest first.
    ///
    /// Binds: states (empty: any), function, queue, event id (each NULL: any), limit.
    /// Returns: the `JobInfo` columns.
    static func listJobs(_ filter: JobFilter) -> Query {
        """
        SELECT \(unsafeSQL: jobColumns)
        FROM offload.jobs
        WHERE (cardinality(\(filter.states)::offload.job_state[]) = 0 OR state = ANY(\(filter.states)::offload.job_state[]))
          AND (\(filter.function)::text IS NULL OR function = \(filter.function)::text)
          AND (\(filter.queue)::text IS NULL OR queue = \(filter.queue)::text)
          AND (\(filter.eventID)::bigint IS NULL OR event_id = \(filter.eventID)::bigint)
        ORDER BY id DESC
        LIMIT \(filter.limit)
        """
    }

    /// One job.
    ///
    /// Binds: id. Returns: the `JobInfo` columns, or no row.
    static func job(id: Int64) -> Query {
        """
        SELECT \(unsafeSQL: jobColumns)
        FROM offload.jobs
        WHERE id = \(id)
        """
    }

    /// Re-runs one job through the SQL API (`offload.retry`, which also wakes the queue's workers).
    ///
    /// Binds: id, target queue (NULL: keep). Returns: `retried` (false: no such job, or not retryable).
    static func retry(id: Int64, toQueue: String?) -> Query {
        "SELECT offload.retry(\(id), \(toQueue)::text) AS retried"
    }

    /// A job's state and queue, to explain a retry's outcome.
    ///
    /// Binds: id. Returns: `state`, `queue`, or no row.
    static func stateAndQueue(id: Int64) -> Query {
        """
        SELECT state, queue
        FROM offload.jobs
        WHERE id = \(id)
        """
    }

    /// Re-runs the dead jobs matching `filter` in one statement, the way `offload.retry` does one: back to
    /// `available` now with attempt 0 and the result cleared, errors kept, optionally on `toQueue`.
    ///
    /// Two active jobs with one (function, unique_key) cannot exist, so of the matching dead jobs that
    /// share a key only the newest is re-run, and none while a job with that key is waiting or running;
    /// the others are reported with `retried` false. A dry run changes nothing and reports what would
    /// be re-run. The caller wakes the target queues' workers (`MaintenanceSQL.notify`) in the same
    /// transaction.
    ///
    /// Binds: function, queue (NULL: any), died-since date, died-since seconds ago (both NULL: any time),
    /// target queue (NULL: keep), dry run.
    /// Returns per matching job, in id order: `id`, `function`, `queue`, `target_queue`, `retried`.
    static func retryDead(_ filter: DeadJobFilter, toQueue: String?, dryRun: Bool) -> Query {
        """
        WITH candidates AS (
            SELECT id, function, queue, unique_key,
                   row_number() OVER (PARTITION BY function, unique_key ORDER BY id DESC) AS key_rank
            FROM offload.jobs
            WHERE state = 'dead'
              AND (\(filter.function)::text IS NULL OR function = \(filter.function)::text)
              AND (\(filter.queue)::text IS NULL OR queue = \(filter.queue)::text)
              AND ((\(filter.diedSince?.date)::timestamptz IS NULL AND \(filter.diedSince?.secondsAgo)::float8 IS NULL)
                   OR finished_at >= coalesce(
                       \(filter.diedSince?.date)::timestamptz,
                       now() - make_interval(secs => \(filter.diedSince?.secondsAgo)::float8)
                   ))
        ),
        chosen AS (
            SELECT c.id
            FROM candidates AS c
            WHERE c.unique_key IS NULL
               OR (c.key_rank = 1
                   AND NOT EXISTS (
                       SELECT 1
                       FROM offload.jobs AS active
                       WHERE active.function = c.function
                         AND active.unique_key = c.unique_key
                         AND active.state IN ('available', 'running', 'retryable')
                   ))
        ),
        retried AS (
            UPDATE offload.jobs AS j
            SET state = 'available',
                queue = coalesce(\(toQueue)::text, j.queue),
                run_at = offload.claimable_now(),  -- keeps the claim floors valid (migration 11)
                attempt = 0,
                result = NULL,
                worker_id = NULL,
                lease_until = NULL,
                cancel_requested_at = NULL,
                attempted_at = NULL,
                finished_at = NULL
            FROM chosen
            WHERE j.id = chosen.id
              AND j.state = 'dead'
              AND NOT \(dryRun)::bool
            RETURNING j.id, j.queue, j.priority
        ),
        -- A job moved to another queue may be the first of its priority there (migration 11).
        floors AS (
            INSERT INTO offload.claim_floors (queue, priority)
            SELECT DISTINCT queue, priority
            FROM retried
            ORDER BY queue, priority
            ON CONFLICT DO NOTHING
        )
        SELECT c.id,
               c.function,
               c.queue,
               coalesce(\(toQueue)::text, c.queue) AS target_queue,
               CASE WHEN \(dryRun)::bool THEN chosen.id IS NOT NULL ELSE retried.id IS NOT NULL END AS retried
        FROM candidates AS c
        LEFT JOIN chosen
            ON chosen.id = c.id
        LEFT JOIN retried
            ON retried.id = c.id
        ORDER BY c.id
        """
    }

    /// Cancels jobs through the SQL API (`offload.cancel`), one call per id, in the order given.
    ///
    /// Binds: ids (without duplicates).
    /// Returns per id: `id`, `previous_state` (NULL: no such job), `state` (after; NULL: no such job).
    static func cancel(ids: [Int64]) -> Query {
        """
        SELECT requested.id,
               previous.state AS previous_state,
               offload.cancel(requested.id) AS state
        FROM unnest(\(ids)::bigint[]) WITH ORDINALITY AS requested(id, position)
        LEFT JOIN offload.jobs AS previous
            ON previous.id = requested.id
        ORDER BY requested.position
        """
    }

    /// Per queue and function: `offload.queue_stats` joined with the last minutes of
    /// `offload.throughput` (a queue whose jobs all completed still shows, with its rate).
    ///
    /// The rate window is the current minute so far plus the four whole minutes before it (4 to 5
    /// minutes long), so a burst shows at once and a quiet queue decays to 0 within five minutes.
    ///
    /// Returns: `queue`, `function`, `available`, `scheduled`, `retryable`, `running`, `dead`,
    /// `oldest_run_at`, `lag_seconds`, `completed_per_minute`, `failed_per_minute`.
    static let queueStats: Query = """
        WITH window_start AS (
            SELECT date_trunc('minute', now()) - interval '4 minutes' AS at
        ),
        recent AS (
            SELECT t.queue,
                   t.function,
                   sum(t.completed) AS completed,
                   sum(t.failed) AS failed
            FROM offload.throughput AS t, window_start
            WHERE t.minute >= window_start.at
            GROUP BY t.queue, t.function
        )
        SELECT coalesce(s.queue, r.queue) AS queue,
               coalesce(s.function, r.function) AS function,
               coalesce(s.available, 0) AS available,
               coalesce(s.scheduled, 0) AS scheduled,
               coalesce(s.retryable, 0) AS retryable,
               coalesce(s.running, 0) AS running,
               coalesce(s.dead, 0) AS dead,
               s.oldest_run_at,
               extract(epoch FROM coalesce(s.lag, interval '0'))::float8 AS lag_seconds,
               coalesce(r.completed, 0)::float8 / (extract(epoch FROM now() - window_start.at)::float8 / 60) AS completed_per_minute,
               coalesce(r.failed, 0)::float8 / (extract(epoch FROM now() - window_start.at)::float8 / 60) AS failed_per_minute
        FROM offload.queue_stats AS s
        FULL JOIN recent AS r
            ON r.queue = s.queue
           AND r.function = s.function
        CROSS JOIN window_start
        ORDER BY 1, 2
        """

    /// Returns: the `offload.live_workers` columns, oldest worker first.
    static let liveWorkers: Query = """
        SELECT id, hostname, pid, queues, concurrency, started_at, heartbeat_at, seconds_since_heartbeat, running_jobs
        FROM offload.live_workers
        ORDER BY started_at, id
        """

    /// Returns: the `offload.throughput` columns, newest minute first.
    static let throughput: Query = """
        SELECT minute, queue, function, completed, failed
        FROM offload.throughput
        ORDER BY minute DESC, queue, function
        """

    /// Returns: `now`, the database's clock.
    static let now: Query = "SELECT now() AS now"

    /// Returns: the `offload.health` rows (`name`, `status`, `value`, `summary`, `advice`).
    static let health: Query = """
        SELECT name, status, value, summary, advice
        FROM offload.health
        """

    /// One claim of at most one job, for `Offload.claimLatency`; run it in a transaction that is
    /// rolled back. Binds: queue.
    static func probeClaim(queue: String) -> Query {
        """
        SELECT id
        FROM offload.claim(\(queue), 1, 'offload-health-probe', 1)
        """
    }
}
