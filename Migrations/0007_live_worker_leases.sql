-- Offload schema, version 7: a live worker keeps its jobs, however long its renewals are held up.
--
-- A job's lease used to be the only word on whether its worker was alive: once lease_until had
-- passed, maintenance took the job back, even from a healthy worker whose renewal was merely late.
-- Renewals were late when they queued behind the worker's own handlers for a pool connection, and
-- when the jobs table was locked (LOCK TABLE, a long ALTER): the blocked renewal then wrote
-- now() + lease with now() taken when it *started*, so a renewal that waited longer than a lease
-- wrote a lease that had run out already. The job ran twice at once (issue 12).
--
-- Now:
-- * Leases are computed from clock_timestamp(), the time the row is written, not the start of a
--   statement that may have waited for a lock.
-- * offload.workers says how long its worker's lease is (lease_seconds) and when the worker last
--   finished renewing the leases of every job it holds (leases_renewed_at). heartbeat_at, the proof
--   of life, is written on its own, in a statement that touches no job, so a lock on the jobs table
--   cannot hold it up.
-- * Maintenance rescues a running job whose lease has run out only when its worker is gone (no row),
--   silent for a whole lease (dead, frozen, cut off), or alive and renewing its other jobs for a
--   whole lease past this job's expiry without renewing this one: the worker does not know it holds
--   the job (its claim's reply was lost). A live worker whose renewals are late keeps its jobs.

ALTER TABLE offload.workers
    ADD COLUMN lease_seconds double precision,
    ADD COLUMN leases_renewed_at timestamptz;

COMMENT ON COLUMN offload.workers.lease_seconds IS
    'The lease this worker gives its jobs; it counts as dead once silent for this long.';
COMMENT ON COLUMN offload.workers.leases_renewed_at IS
    'When the worker last renewed the leases of every job it holds (their lease_until is later).';

-- As in migration 6, but the lease starts when the row is claimed (clock_timestamp()), not when
-- the statement started: a claim that waited for a lock must not hand out a lease that is already
-- running out.
CREATE OR REPLACE FUNCTION offload.claim(
    from_queue    text,
    max_jobs      integer,
    worker_id     text,
    lease_seconds double precision
)
RETURNS TABLE (
    id           bigint,
    function     text,
    queue        text,
    args         jsonb,
    attempt      integer,
    max_attempts integer,
    event_id     bigint,
    run_at       timestamptz
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
    PERFORM pg_catalog.set_config('enable_seqscan', 'off', true);

    RETURN QUERY
    UPDATE offload.jobs AS j
    SET state = 'running',
        attempt = j.attempt + 1,
        worker_id = claim.worker_id,
        attempted_at = now(),
        lease_until = clock_timestamp() + make_interval(secs => claim.lease_seconds)
    WHERE j.id = ANY(ARRAY(
        SELECT c.id
        FROM offload.jobs AS c
        WHERE c.state IN ('available', 'retryable')
          AND c.queue = claim.from_queue
          AND c.run_at <= now()
        ORDER BY c.priority, c.run_at, c.id
        LIMIT claim.max_jobs
        FOR UPDATE SKIP LOCKED
    ))
    RETURNING j.id, j.function, j.queue, j.args, j.attempt, j.max_attempts, j.event_id, j.run_at;
END;
$$;
