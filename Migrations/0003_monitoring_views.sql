-- Offload schema, version 3: the monitoring views.
--
-- These views are the public SQL surface for monitoring (`offload status` prints them); they only
-- ever gain columns. Each reads through one of the partial indexes on offload.jobs, so it stays
-- fast however many completed rows the table holds: none of them reads a completed row except
-- offload.throughput, which reads the last hour's only.
--
-- Each view selects one state group per branch (UNION ALL) rather than WHERE state IN (...) over
-- several groups, so that every branch's WHERE clause matches one partial index's predicate and
-- the planner can use it.

CREATE SCHEMA IF NOT EXISTS offload;

-- ---------------------------------------------------------------------------------------------
-- Queue depth and lag
-- ---------------------------------------------------------------------------------------------

-- Per queue and function, the jobs that are not finished, plus the dead-letter queue:
--   available   runnable now: waiting to be claimed (state available, or retryable whose backoff is over)
--   scheduled   state available with a future run_at
--   retryable   state retryable with a future run_at (backing off after a failed attempt)
--   running     claimed by a worker
--   dead        in the dead-letter queue
-- available, scheduled and retryable are disjoint, so they add up to the queue's backlog.
-- oldest_run_at is the run_at of the oldest runnable job; lag is how long it has waited (zero
-- when nothing is runnable): a growing lag means the workers do not keep up.
--
-- Completed and cancelled counts are deliberately absent: counting them would read every
-- finished row still in the table (a million after a busy day), and a total since the last prune
-- says little anyway. offload.throughput has the completed rate per minute instead.
CREATE VIEW offload.queue_stats AS
SELECT
    jobs.queue,
    jobs.function,
    count(*) FILTER (WHERE jobs.state IN ('available', 'retryable') AND jobs.run_at <= now()) AS available,
    count(*) FILTER (WHERE jobs.state = 'available' AND jobs.run_at > now()) AS scheduled,
    count(*) FILTER (WHERE jobs.state = 'retryable' AND jobs.run_at > now()) AS retryable,
    count(*) FILTER (WHERE jobs.state = 'running') AS running,
    count(*) FILTER (WHERE jobs.state = 'dead') AS dead,
    min(jobs.run_at) FILTER (WHERE jobs.state IN ('available', 'retryable') AND jobs.run_at <= now()) AS oldest_run_at,
    coalesce(
        now() - min(jobs.run_at) FILTER (WHERE jobs.state IN ('available', 'retryable') AND jobs.run_at <= now()),
        interval '0'
    ) AS lag
FROM (
    -- jobs_claim_idx
    SELECT queue, function, state, run_at
    FROM offload.jobs
    WHERE state IN ('available', 'retryable')
    UNION ALL
    -- jobs_running_idx
    SELECT queue, function, state, run_at
    FROM offload.jobs
    WHERE state = 'running'
    UNION ALL
    -- jobs_finished_idx, dead rows only
    SELECT queue, function, state, run_at
    FROM offload.jobs
    WHERE state = 'dead'
) AS jobs
GROUP BY
    jobs.queue,
    jobs.function;

COMMENT ON VIEW offload.queue_stats IS
    'Per queue and function: available (runnable now), scheduled, retryable (backing off), running and dead counts, and the lag of the oldest runnable job.';

-- ---------------------------------------------------------------------------------------------
-- Failures
-- ---------------------------------------------------------------------------------------------

-- Jobs whose last attempt failed: retryable ones (they will run again) and dead ones (they will
-- not, until someone calls offload.retry), with their last error, newest failure first. failed_at
-- is when that happened: the time of the last error entry, or for a dead job without one (put
-- there by hand) its finished_at. The errors column has the whole history.
CREATE VIEW offload.failures AS
SELECT
    failed.id,
    failed.queue,
    failed.function,
    failed.state,
    failed.attempt,
    failed.max_attempts,
    failed.errors -> -1 ->> 'message' AS error_message,
    failed.errors -> -1 ->> 'type' AS error_type,
    (failed.errors -> -1 ->> 'at')::timestamptz AS error_at,
    coalesce((failed.errors -> -1 ->> 'at')::timestamptz, failed.finished_at, failed.attempted_at) AS failed_at,
    failed.run_at,
    failed.args,
    failed.errors,
    failed.tags,
    failed.event_id,
    failed.created_at
FROM (
    -- jobs_claim_idx
    SELECT id, queue, function, state, attempt, max_attempts, errors, run_at, args, tags, event_id,
           created_at, attempted_at, finished_at
    FROM offload.jobs
    WHERE state = 'retryable'
    UNION ALL
    -- jobs_finished_idx, dead rows only
    SELECT id, queue, function, state, attempt, max_attempts, errors, run_at, args, tags, event_id,
           created_at, attempted_at, finished_at
    FROM offload.jobs
    WHERE state = 'dead'
) AS failed
ORDER BY
    failed_at DESC,
    failed.id DESC;

COMMENT ON VIEW offload.failures IS
    'Retryable and dead jobs with their last error, newest failure first.';

-- ---------------------------------------------------------------------------------------------
-- Workers
-- ---------------------------------------------------------------------------------------------

-- Workers that heart-beat within the last minute, with how many jobs each is running. A worker
-- whose row is older has died or hung; its jobs come back when their leases expire.
CREATE VIEW offload.live_workers AS
SELECT
    w.id,
    w.hostname,
    w.pid,
    w.queues,
    w.concurrency,
    w.started_at,
    w.heartbeat_at,
    extract(epoch FROM now() - w.heartbeat_at)::double precision AS seconds_since_heartbeat,
    coalesce(running.jobs, 0) AS running_jobs
FROM offload.workers AS w
LEFT JOIN (
    -- jobs_running_idx
    SELECT
        worker_id,
        count(*) AS jobs
    FROM offload.jobs
    WHERE state = 'running'
    GROUP BY worker_id
) AS running
    ON running.worker_id = w.id
WHERE w.heartbeat_at > now() - interval '60 seconds';

COMMENT ON VIEW offload.live_workers IS
    'Workers with a heartbeat in the last 60 seconds and the number of jobs each is running.';

-- ---------------------------------------------------------------------------------------------
-- Throughput
-- ---------------------------------------------------------------------------------------------

-- Per minute, per queue and function: jobs completed and jobs that died (the final failure, not
-- each failed attempt; those are in each job's errors), for the current minute and the 60 whole
-- minutes before it, newest first. Minutes without either have no row. Both counts are range
-- scans of jobs_finished_idx over that hour only.
CREATE VIEW offload.throughput AS
SELECT
    date_trunc('minute', finished.finished_at) AS minute,
    finished.queue,
    finished.function,
    count(*) FILTER (WHERE finished.state = 'completed') AS completed,
    count(*) FILTER (WHERE finished.state = 'dead') AS failed
FROM (
    SELECT queue, function, state, finished_at
    FROM offload.jobs
    WHERE state = 'completed'
      AND finished_at >= date_trunc('minute', now()) - interval '1 hour'
    UNION ALL
    SELECT queue, function, state, finished_at
    FROM offload.jobs
    WHERE state = 'dead'
      AND finished_at >= date_trunc('minute', now()) - interval '1 hour'
) AS finished
GROUP BY
    date_trunc('minute', finished.finished_at),
    finished.queue,
    finished.function
ORDER BY
    minute DESC,
    finished.queue,
    finished.function;

COMMENT ON VIEW offload.throughput IS
    'Completed and dead (failed) jobs per minute of the last hour, per queue and function.';
