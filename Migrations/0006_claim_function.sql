-- Offload schema, version 6: the claim as a function, planned once per session and always by index.
--
-- Planning the worker's claim took longer than running it for a few jobs (about 0.5 ms of planning
-- for 0.2 ms of execution on the benchmark machine; more at low load), which was most of the time
-- from an enqueue to its handler starting. Prepared the usual way, though, PostgreSQL keeps the
-- plan it made for the table as it was: prepared while the table was empty, a sequential scan and
-- a sort, kept as the table grew (the steady-state benchmark fell from 22,000 to 5,000 jobs/s).
--
-- As a plpgsql function, the UPDATE is prepared once per session, and it is planned with sequential
-- scans disabled (SET LOCAL, for this transaction only), so every plan, at any table size, takes
-- the ids from jobs_claim_idx (in its order: no sort) and the rows by primary key.
--
-- The claim also commits asynchronously (synchronous_commit off for its transaction): a claim
-- promises nothing durable. A PostgreSQL crash can undo a claim made in its last ~0.6 s; the job is
-- then waiting again with its old attempt count (docs/reliability.md).
--
-- Call it in a transaction of its own (autocommit): both settings last until that transaction ends.

CREATE FUNCTION offload.claim(
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
AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM set_config('enable_seqscan', 'off', true);

    RETURN QUERY
    UPDATE offload.jobs AS j
    SET state = 'running',
        attempt = j.attempt + 1,
        worker_id = claim.worker_id,
        attempted_at = now(),
        lease_until = now() + make_interval(secs => claim.lease_seconds)
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

COMMENT ON FUNCTION offload.claim(text, integer, text, double precision) IS
    'Claims up to max_jobs runnable jobs of a queue for a worker (FOR UPDATE SKIP LOCKED); call in a transaction of its own.';
