import PGClient

/// The SQL `offload bench` runs besides Offload's own: setting up and checking its scenarios, and the
/// minimal queue that gives the ceiling.
enum BenchSQL {
    // MARK: - Resetting and waiting

    /// Empties every table a scenario writes to. Workers' rows stay: a running worker keeps its own.
    static let reset: Query = """
        TRUNCATE offload.jobs, offload.events, offload_bench.business_rows, offload_fixture_stamps
        """

    /// Vacuums and analyzes the jobs table, so no scenario starts with another's dead rows or stale
    /// statistics, and autovacuum has nothing left to do.
    static let vacuumJobs: Query = "VACUUM (ANALYZE) offload.jobs"

    /// Binds: none. Returns: `n`, autovacuum workers running anywhere on the server.
    static let autovacuumWorkers: Query = """
        SELECT count(*) AS n
        FROM pg_stat_activity
        WHERE backend_type = 'autovacuum worker'
        """

    // MARK: - Offload's tables

    /// Enqueues `count` no-op jobs through the SQL API in one statement.
    ///
    /// Binds: count, function. Returns: `inserted`.
    static func enqueueNoops(_ count: Int, function: String = "noop") -> Query {
        """
        SELECT offload.enqueue_many(
            array_fill(\(function)::text, ARRAY[\(count)::int]),
            array_fill('{}'::jsonb, ARRAY[\(count)::int])
        ) AS inserted
        """
    }

    /// Whether any job is still waiting or running. Cheap however large the table: both states are
    /// served by partial indexes.
    ///
    /// Binds: none. Returns: `busy`.
    static let anyUnfinished: Query = """
        SELECT EXISTS (
            SELECT 1
            FROM offload.jobs
            WHERE state IN ('available', 'retryable', 'running')
              AND run_at <= now()
        ) AS busy
        """

    /// The id the next job will get (at least): jobs enqueued after this read have ids from it on.
    ///
    /// Binds: none. Returns: `id`.
    static let nextJobID: Query = "SELECT coalesce(max(id), 0) + 1 AS id FROM offload.jobs"

    /// The outcome of a burn-down: how many of its jobs exist, how many completed after exactly one
    /// attempt with no error, and the span from the first claim to the last completion.
    ///
    /// Binds: the burn-down's first job id. Returns: `total`, `completed_once`, `span_seconds`.
    static func burndownOutcome(firstID: Int64) -> Query {
        """
        SELECT count(*) AS total,
               count(*) FILTER (
                   WHERE state = 'completed'
                     AND attempt = 1
                     AND errors = '[]'::jsonb
               ) AS completed_once,
               coalesce(extract(epoch FROM max(finished_at) - min(attempted_at)), 0)::float8 AS span_seconds
        FROM offload.jobs
        WHERE id >= \(firstID)
        """
    }

    /// Jobs inserted directly, one per array element, bypassing the SQL API: the ceiling of a bulk
    /// enqueue. Binds: functions, arguments. Returns: the row count.
    static func insertJobs(functions: [String], arguments: [PGJSON]) -> Query {
        """
        INSERT INTO offload.jobs (function, args)
        SELECT function, args
        FROM unnest(\(functions)::text[], \(arguments)::jsonb[]) AS r(function, args)
        """
    }

    /// Fills the table with finished jobs and jobs scheduled an hour ahead: the backdrop of the scale
    /// scenario. Written directly, in one statement each, as years of history would have left them.
    ///
    /// Binds: finished count, scheduled count.
    static func fillHistory(finished: Int, scheduled: Int) -> [Query] {
        [
            """
            INSERT INTO offload.jobs (function, state, attempt, attempted_at, finished_at, created_at, run_at)
            SELECT 'noop', 'completed', 1, t, t, t, t
            FROM (
                SELECT now() - make_interval(secs => n::float8 / 100) AS t
                FROM generate_series(1, \(finished)::int) AS n
            ) AS history
            """,
            """
            INSERT INTO offload.jobs (function, run_at)
            SELECT 'noop', now() + interval '1 hour' + make_interval(secs => n::float8 / 100)
            FROM generate_series(1, \(scheduled)::int) AS n
            """,
        ]
    }

    /// Lag of the jobs started during a steady-state step: claim time minus enqueue time.
    ///
    /// Binds: none. Returns: `started`, `p50_ms`, `p99_ms`, `max_ms`.
    static let steadyLag: Query = """
        SELECT count(*) AS started,
               coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms), 0)::float8 AS p50_ms,
               coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms), 0)::float8 AS p99_ms,
               coalesce(max(lag_ms), 0)::float8 AS max_ms
        FROM (
            SELECT extract(epoch FROM attempted_at - created_at) * 1000 AS lag_ms
            FROM offload.jobs
            WHERE attempted_at IS NOT NULL
        ) AS started
        """

    /// Jobs waiting to be claimed now.
    ///
    /// Binds: none. Returns: `waiting`.
    static let waiting: Query = """
        SELECT count(*) AS waiting
        FROM offload.jobs
        WHERE state IN ('available', 'retryable')
          AND run_at <= now()
        """

    // MARK: - Business rows and stamps

    /// The bench's own schema: the business table of the enqueue scenario and the minimal queue of
    /// the ceiling.
    static let createBenchSchema = """
        CREATE SCHEMA IF NOT EXISTS offload_bench;
        CREATE TABLE IF NOT EXISTS offload_bench.business_rows (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS offload_bench.minimal_jobs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            state smallint NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS minimal_jobs_available_idx
            ON offload_bench.minimal_jobs (id)
            WHERE state = 0;
        CREATE TABLE IF NOT EXISTS offload_fixture_stamps (
            job_id bigint NOT NULL,
            started_us bigint NOT NULL
        );
        """

    /// The business write of an API request. Binds: name.
    static func insertBusinessRow(name: String) -> Query {
        "INSERT INTO offload_bench.business_rows (name) VALUES (\(name))"
    }

    /// When each `stamp` job's handler started (wall clock, microseconds), and when its claim's
    /// transaction started (the server's clock, the same machine's).
    ///
    /// Binds: none. Returns: `job_id`, `started_us`, `attempted_us`.
    static let stamps: Query = """
        SELECT s.job_id,
               s.started_us,
               (extract(epoch FROM j.attempted_at) * 1000000)::bigint AS attempted_us
        FROM offload_fixture_stamps AS s
        JOIN offload.jobs AS j ON j.id = s.job_id
        """

    // MARK: - The ceiling

    /// Refills the minimal queue with `count` waiting jobs. Binds: count.
    static func fillMinimal(_ count: Int) -> [Query] {
        [
            "TRUNCATE offload_bench.minimal_jobs RESTART IDENTITY",
            """
            INSERT INTO offload_bench.minimal_jobs (state)
            SELECT 0
            FROM generate_series(1, \(count)::int)
            """,
            "VACUUM (ANALYZE) offload_bench.minimal_jobs",
        ]
    }

    /// Rewrites one row of the minimal queue: the cheapest statement whose commit must reach the disk.
    static let touchMinimal: Query = "UPDATE offload_bench.minimal_jobs SET state = state WHERE id = 1"

    /// pgbench's sessions still open. Binds: none. Returns: `n`.
    static let pgbenchSessions: Query = "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'pgbench'"

    /// Minimal-queue jobs not completed. Binds: none. Returns: `n`.
    static let minimalUnfinished: Query = "SELECT count(*) AS n FROM offload_bench.minimal_jobs WHERE state <> 2"

    /// The cheapest batched claim and completion: a pgbench script on the minimal queue (a bigint key
    /// and a state), claiming `:batch` jobs with `FOR UPDATE SKIP LOCKED`, then completing them in a
    /// second transaction, as a worker does. The claim commits asynchronously, as the worker's does
    /// (`JobSQL.claimAvailable`). (pgbench ends a statement at `;` or at `\gset`.)
    static let minimalPgbenchScript = """
        WITH claimed AS (
            UPDATE offload_bench.minimal_jobs
            SET state = 1
            FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
            WHERE id IN (
                SELECT id
                FROM offload_bench.minimal_jobs
                WHERE state = 0
                ORDER BY id
                LIMIT :batch
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
        )
        SELECT array_agg(id) AS ids
        FROM claimed
        \\gset
        UPDATE offload_bench.minimal_jobs
        SET state = 2
        WHERE id = ANY(:ids::bigint[]);

        """
}
