-- Offload schema, version 11: claims start at a floor, so dead index entries behind it cost nothing.
--
-- A claim reads jobs_claim_idx from the start of its (queue, priority) range. Every job claimed
-- since the last vacuum leaves an entry there that points to a dead row version, and each such
-- entry costs the claim a visit to the heap. Normally the first scan that meets one marks it dead
-- and later scans skip it cheaply; while something holds back the xmin horizon (a long
-- transaction, a replica's slot, a forgotten BEGIN), nothing can be marked and every claim walks
-- them all. Measured here with a snapshot held open: 100,000 claimed jobs behind 10 due ones, one
-- claim read 5,631 buffers and took 71 ms; 300,000, 14,889 buffers and 80-130 ms. Under a steady
-- 17,000 jobs/s that is millions of entries within minutes: claims collapse (issue 15).
--
-- offload.claim_floors holds, per (queue, priority), a floor: a time no job of that range that is
-- claimable, or will become claimable, has a run_at before. A claim reads its range from the floor
-- on, so it never meets the entries of jobs claimed before it. The maintenance leader raises the
-- floors several times a second (offload.advance_claim_floors); a claim then walks at most the jobs
-- claimed since the last raise.
--
-- Why a floor is never above a job that can still be claimed:
--   * Every write that makes a job claimable sets its run_at no earlier than
--     offload.claimable_now(): the time right after its transaction took a write lock on
--     offload.jobs and got an xid. (Enqueue, send, retry, rescue and the worker's retries and
--     hand-backs all do; so does the column's default. A run_at in the past therefore means "now":
--     the job queues behind those already due.)
--   * The leader samples (clock, xid) pairs: it reads the clock, then takes an xid of its own
--     (xids are handed out in order, so every later one is newer than that clock reading). A floor
--     is raised only to a sampled time T whose xid is below that of every transaction holding a
--     write lock on offload.jobs: each of those got its xid after T, so any job it wrote has a
--     run_at after T; and any other transaction takes that lock, and then reads the clock, only
--     after the leader looked, so after T too. A transaction that holds back vacuum without writing
--     to offload.jobs (a long report, pg_dump, a replica's slot) therefore holds back no floor.
--     (A snapshot's xmax is no mark of the xids handed out: one still running can be above it.)
--   * And no higher than the lowest run_at among the claimable jobs it sees, read after that check.
-- Floors only rise, except in a thorough pass (every 30 s by default) that recomputes them from
-- the start: that finds jobs a hand-written INSERT or UPDATE put below a floor. Such jobs wait at
-- most that long; jobs written through the API never do.
--
-- A claim visits the priorities that have a floor row in its queue, in order; enqueue, send and
-- retry add the row for a job's (queue, priority) in their own transaction (the first job of a new
-- pair waits for its transaction to commit), and a thorough pass adds the rows of jobs written by
-- hand. A queue without any floor row is claimed as in migration 9.

-- ---------------------------------------------------------------------------------------------
-- Floors
-- ---------------------------------------------------------------------------------------------

CREATE TABLE offload.claim_floors (
    queue    text     NOT NULL,
    priority smallint NOT NULL,
    floor    timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (queue, priority)
);

-- Few rows, updated several times a second: leave room for each update to stay on its page (HOT),
-- so a held xmin grows chains that claims walk within one page, not index entries.
ALTER TABLE offload.claim_floors SET (fillfactor = 10);

COMMENT ON TABLE offload.claim_floors IS
    'Per (queue, priority): no claimable job has run_at before floor. Written by enqueue/send/retry (rows) and the maintenance leader (floors).';

INSERT INTO offload.claim_floors (queue, priority)
SELECT DISTINCT j.queue, j.priority
FROM offload.jobs AS j
WHERE j.state IN ('available', 'retryable')
ON CONFLICT DO NOTHING;

-- The time a job made claimable now may carry as its run_at: read after this transaction holds a
-- write lock on offload.jobs (ROW EXCLUSIVE, which every INSERT and UPDATE takes anyway and which
-- conflicts with no other writer) and has an xid (txid_current assigns one if it has none yet).
-- That is what lets the leader bound the run_at of jobs it cannot see yet (see above).
CREATE FUNCTION offload.claimable_now()
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    LOCK TABLE offload.jobs IN ROW EXCLUSIVE MODE;
    PERFORM pg_catalog.txid_current();
    RETURN pg_catalog.clock_timestamp();
END;
$$;

COMMENT ON FUNCTION offload.claimable_now() IS
    'clock_timestamp() once this transaction holds a write lock on offload.jobs and an xid: the earliest run_at a job made claimable now may have.';

ALTER TABLE offload.jobs ALTER COLUMN run_at SET DEFAULT offload.claimable_now();

-- Raises each floor to the lowest run_at among its claimable jobs, but never above `bound` (a time
-- before which no transaction now writing to offload.jobs got its xid; the leader finds it). `thorough` recomputes
-- every floor from the start, lowering those that a hand-written row went below, and adds the
-- floor rows of (queue, priority) pairs that have claimable jobs and no row. Returns how many
-- floors changed. Run by the maintenance leader in a transaction of its own.
CREATE FUNCTION offload.advance_claim_floors(bound timestamptz, thorough boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    changed integer;
    added   integer := 0;
BEGIN
    PERFORM pg_catalog.set_config('enable_seqscan', 'off', true);

    IF thorough THEN
        -- One probe per priority of each queue that has floors; a queue without floors is claimed
        -- from the start anyway.
        INSERT INTO offload.claim_floors (queue, priority)
        SELECT q.queue, p.priority
        FROM (SELECT DISTINCT f.queue FROM offload.claim_floors AS f) AS q
        CROSS JOIN generate_series(-100, 100) AS p(priority)
        WHERE NOT EXISTS (
                  SELECT FROM offload.claim_floors AS f
                  WHERE f.queue = q.queue AND f.priority = p.priority
              )
          AND EXISTS (
                  SELECT FROM offload.jobs AS j
                  WHERE j.state IN ('available', 'retryable')
                    AND j.queue = q.queue
                    AND j.priority = p.priority
              )
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
    END IF;

    UPDATE offload.claim_floors AS f
    SET floor = next.floor
    FROM (
        SELECT f2.queue, f2.priority,
               least(
                   advance_claim_floors.bound,
                   coalesce((
                       SELECT min(j.run_at)
                       FROM offload.jobs AS j
                       WHERE j.state IN ('available', 'retryable')
                         AND j.queue = f2.queue
                         AND j.priority = f2.priority
                         AND j.run_at >= CASE WHEN advance_claim_floors.thorough THEN '-infinity' ELSE f2.floor END
                   ), 'infinity')
               ) AS floor
        FROM offload.claim_floors AS f2
    ) AS next
    WHERE f.queue = next.queue
      AND f.priority = next.priority
      AND CASE
              WHEN advance_claim_floors.thorough THEN next.floor IS DISTINCT FROM f.floor
              ELSE next.floor > f.floor
          END;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed + added;
END;
$$;

COMMENT ON FUNCTION offload.advance_claim_floors(timestamptz, boolean) IS
    'Raises the claim floors up to bound (the maintenance leader''s job); thorough also lowers them and adds missing rows.';

-- ---------------------------------------------------------------------------------------------
-- The claim
-- ---------------------------------------------------------------------------------------------

-- As in migration 9, reading each priority's range from its floor when the queue has floors.
CREATE OR REPLACE FUNCTION offload.claim(
    from_queue    text,
    max_jobs      integer,
    worker_id     text,
    lease_seconds double precision,
    at            timestamptz DEFAULT NULL
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
DECLARE
    claim_time timestamptz := coalesce(claim.at, now());
BEGIN
    PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
    PERFORM pg_catalog.set_config('enable_seqscan', 'off', true);

    IF EXISTS (SELECT FROM offload.claim_floors AS f WHERE f.queue = claim.from_queue) THEN
        RETURN QUERY
        UPDATE offload.jobs AS j
        SET state = 'running',
            attempt = j.attempt + 1,
            worker_id = claim.worker_id,
            attempted_at = claim_time,
            lease_until = clock_timestamp() + make_interval(secs => claim.lease_seconds)
        WHERE j.id = ANY(ARRAY(
            SELECT due.id
            FROM (
                SELECT f.priority, f.floor
                FROM offload.claim_floors AS f
                WHERE f.queue = claim.from_queue
                ORDER BY f.priority
            ) AS pr
            CROSS JOIN LATERAL (
                -- From the floor to claim_time: a range that skips every entry behind the floor.
                SELECT c.id
                FROM offload.jobs AS c
                WHERE c.state IN ('available', 'retryable')
                  AND c.queue = claim.from_queue
                  AND c.priority = pr.priority
                  AND c.run_at >= pr.floor
                  AND c.run_at <= claim_time
                ORDER BY c.run_at, c.id
                LIMIT claim.max_jobs
                FOR UPDATE SKIP LOCKED
            ) AS due
            LIMIT claim.max_jobs
        ))
        RETURNING j.id, j.function, j.queue, j.args, j.attempt, j.max_attempts, j.event_id, j.run_at;
        RETURN;
    END IF;

    RETURN QUERY
    UPDATE offload.jobs AS j
    SET state = 'running',
        attempt = j.attempt + 1,
        worker_id = claim.worker_id,
        attempted_at = claim_time,
        lease_until = clock_timestamp() + make_interval(secs => claim.lease_seconds)
    WHERE j.id = ANY(ARRAY(
        -- The priorities waiting in this queue, lowest first: one index probe each (a loose scan).
        WITH RECURSIVE priorities(priority) AS (
            (
                SELECT p.priority
                FROM offload.jobs AS p
                WHERE p.state IN ('available', 'retryable')
                  AND p.queue = claim.from_queue
                ORDER BY p.priority
                LIMIT 1
            )
            UNION ALL
            SELECT (
                SELECT p.priority
                FROM offload.jobs AS p
                WHERE p.state IN ('available', 'retryable')
                  AND p.queue = claim.from_queue
                  AND p.priority > previous.priority
                ORDER BY p.priority
                LIMIT 1
            )
            FROM priorities AS previous
            WHERE previous.priority IS NOT NULL
        )
        SELECT due.id
        FROM priorities AS pr
        CROSS JOIN LATERAL (
            SELECT c.id
            FROM offload.jobs AS c
            WHERE c.state IN ('available', 'retryable')
              AND c.queue = claim.from_queue
              AND c.priority = pr.priority
              AND c.run_at <= claim_time
            ORDER BY c.run_at, c.id
            LIMIT claim.max_jobs
            FOR UPDATE SKIP LOCKED
        ) AS due
        LIMIT claim.max_jobs
    ))
    RETURNING j.id, j.function, j.queue, j.args, j.attempt, j.max_attempts, j.event_id, j.run_at;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Writers: run_at no earlier than offload.claimable_now(), and the floor row of the job's pair
-- ---------------------------------------------------------------------------------------------

-- As in migration 8, with run_at no earlier than offload.claimable_now() and the job's floor row.
CREATE OR REPLACE FUNCTION offload.enqueue(
    function     text,
    args         jsonb,
    queue        text DEFAULT NULL,
    run_at       timestamptz DEFAULT NULL,
    priority     integer DEFAULT 0,
    max_attempts integer DEFAULT NULL,
    unique_key   text DEFAULT NULL,
    tags         text[] DEFAULT '{}'
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    registered_queue        text;
    registered_max_attempts integer;
    job_queue               text;
    job_id                  bigint;
    max_args_bytes          integer;
    job_run_at              timestamptz;
BEGIN
    -- The rules of offload.check_job in one expression (NULL counts as a failure); that function
    -- runs only to word the error. The size limit is checked apart: a subquery would make the
    -- expression too complex for PL/pgSQL's fast path for simple expressions.
    IF (enqueue.function IS NOT NULL
        AND char_length(enqueue.function) BETWEEN 1 AND 200
        AND enqueue.function !~ '[\x01-\x1f\x7f-\x9f]'
        AND jsonb_typeof(enqueue.args) = 'object'
        AND coalesce(char_length(enqueue.queue) BETWEEN 1 AND 100, true)
        AND coalesce(enqueue.queue !~ '[\x01-\x1f\x7f-\x9f]', true)
        AND coalesce(enqueue.priority BETWEEN -100 AND 100, true)
        AND coalesce(enqueue.max_attempts BETWEEN 1 AND 1000, true)
        AND coalesce(enqueue.run_at >= '1970-01-01 00:00:00+00' AND enqueue.run_at < '10000-01-01 00:00:00+00', true)
        AND coalesce(octet_length(enqueue.unique_key) <= 1000, true)
        AND CASE
                WHEN array_ndims(enqueue.tags) > 1 THEN false
                ELSE array_position(enqueue.tags, NULL) IS NULL
            END) IS NOT TRUE
    THEN
        PERFORM offload.check_job(
            'offload.enqueue',
            enqueue.function,
            enqueue.args,
            enqueue.queue,
            enqueue.priority,
            enqueue.max_attempts,
            enqueue.run_at,
            enqueue.unique_key,
            enqueue.tags,
            coalesce((SELECT s.max_args_bytes FROM offload.settings AS s), 1048576)
        );
    END IF;
    -- Arguments up to 1 KiB (the least max_args_bytes can be) need no lookup of the limit. A value
    -- read from a table may come compressed: it is measured decompressed (|| copies it).
    IF pg_column_size(enqueue.args) > 1024 OR pg_column_compression(enqueue.args) IS NOT NULL THEN
        max_args_bytes := coalesce((SELECT s.max_args_bytes FROM offload.settings AS s), 1048576);
        IF pg_column_size(
               CASE WHEN pg_column_compression(enqueue.args) IS NULL THEN enqueue.args ELSE enqueue.args || '{}' END
           ) > max_args_bytes
        THEN
            PERFORM offload.check_job(
                'offload.enqueue',
                enqueue.function,
                enqueue.args,
                enqueue.queue,
                enqueue.priority,
                enqueue.max_attempts,
                enqueue.run_at,
                enqueue.unique_key,
                enqueue.tags,
                max_args_bytes
            );
        END IF;
    END IF;

    -- Defaults come from the registered function, so a job enqueued from any language lands on
    -- the queue its workers listen to.
    SELECT f.queue, f.max_attempts
    INTO registered_queue, registered_max_attempts
    FROM offload.functions AS f
    WHERE f.id = enqueue.function;

    job_queue := coalesce(enqueue.queue, registered_queue, 'default');
    -- Never before the moment this transaction holds an xid: what keeps claim floors valid.
    job_run_at := greatest(enqueue.run_at, offload.claimable_now());

    INSERT INTO offload.claim_floors (queue, priority)
    VALUES (job_queue, coalesce(enqueue.priority, 0))
    ON CONFLICT DO NOTHING;

    -- Idle workers LISTEN on 'offload_jobs' for the queue's name. PostgreSQL delivers it at commit,
    -- and folds repeats within a transaction. A job scheduled for later is left to the poll.
    IF enqueue.run_at IS NULL OR enqueue.run_at <= now() THEN
        PERFORM pg_notify('offload_jobs', job_queue);
    END IF;

    IF enqueue.unique_key IS NULL THEN
        INSERT INTO offload.jobs AS j (
            function,
            args,
            queue,
            run_at,
            priority,
            max_attempts,
            tags
        )
        VALUES (
            enqueue.function,
            enqueue.args,
            job_queue,
            job_run_at,
            coalesce(enqueue.priority, 0),
            coalesce(enqueue.max_attempts, registered_max_attempts, 25),
            coalesce(enqueue.tags, '{}')
        )
        RETURNING j.id
        INTO job_id;
        RETURN job_id;
    END IF;

    -- A unique job may race with another transaction enqueueing the same key. ON CONFLICT waits
    -- for that transaction: if it commits, nothing is inserted and the lookup below (a new
    -- snapshot in READ COMMITTED) finds its job. If the existing job finishes between the two
    -- statements, the lookup finds nothing and the insert is tried again.
    FOR round IN 1..3 LOOP
        INSERT INTO offload.jobs AS j (
            function,
            args,
            queue,
            run_at,
            priority,
            max_attempts,
            unique_key,
            tags
        )
        VALUES (
            enqueue.function,
            enqueue.args,
            job_queue,
            job_run_at,
            coalesce(enqueue.priority, 0),
            coalesce(enqueue.max_attempts, registered_max_attempts, 25),
            enqueue.unique_key,
            coalesce(enqueue.tags, '{}')
        )
        ON CONFLICT (function, unique_key)
            WHERE unique_key IS NOT NULL
              AND state IN ('available', 'running', 'retryable')
            DO NOTHING
        RETURNING j.id
        INTO job_id;

        IF job_id IS NOT NULL THEN
            RETURN job_id;
        END IF;

        SELECT j.id
        INTO job_id
        FROM offload.jobs AS j
        WHERE j.function = enqueue.function
          AND j.unique_key = enqueue.unique_key
          AND j.state IN ('available', 'running', 'retryable');

        IF job_id IS NOT NULL THEN
            RETURN job_id;
        END IF;
    END LOOP;

    -- Not reached in practice: in REPEATABLE READ or SERIALIZABLE, where the lookup could miss a
    -- job committed after the snapshot, ON CONFLICT itself raises 40001 for such a job. Should a
    -- lookup still come back empty three times, say the same.
    RAISE EXCEPTION 'offload.enqueue: a job of % with unique_key % was enqueued concurrently and is not visible to this transaction', enqueue.function, enqueue.unique_key
        USING ERRCODE = 'serialization_failure',
              HINT = 'Retry the transaction.';
END;
$$;

-- As in migration 8, with run_at no earlier than offload.claimable_now() and the jobs' floor rows.
CREATE OR REPLACE FUNCTION offload.enqueue_many(
    functions    text[],
    args         jsonb[],
    queues       text[] DEFAULT NULL,
    run_ats      timestamptz[] DEFAULT NULL,
    priorities   integer[] DEFAULT NULL,
    max_attempts integer[] DEFAULT NULL,
    unique_keys  text[] DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    job_count      integer := cardinality(enqueue_many.functions);
    max_args_bytes integer := coalesce((SELECT s.max_args_bytes FROM offload.settings AS s), 1048576);
    bad            record;
    inserted       bigint;
    -- Never before the moment this transaction holds an xid: what keeps claim floors valid.
    earliest       timestamptz;
BEGIN
    IF job_count IS NULL THEN
        RAISE EXCEPTION 'offload.enqueue_many: functions must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF cardinality(enqueue_many.args) IS DISTINCT FROM job_count
        OR cardinality(enqueue_many.queues) <> job_count
        OR cardinality(enqueue_many.run_ats) <> job_count
        OR cardinality(enqueue_many.priorities) <> job_count
        OR cardinality(enqueue_many.max_attempts) <> job_count
        OR cardinality(enqueue_many.unique_keys) <> job_count
    THEN
        RAISE EXCEPTION 'offload.enqueue_many: the arrays must have equal lengths, got functions %, args %, queues %, run_ats %, priorities %, max_attempts %, unique_keys %',
            job_count,
            coalesce(cardinality(enqueue_many.args)::text, 'NULL'),
            coalesce(cardinality(enqueue_many.queues)::text, 'NULL'),
            coalesce(cardinality(enqueue_many.run_ats)::text, 'NULL'),
            coalesce(cardinality(enqueue_many.priorities)::text, 'NULL'),
            coalesce(cardinality(enqueue_many.max_attempts)::text, 'NULL'),
            coalesce(cardinality(enqueue_many.unique_keys)::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A NULL array means "defaults for every job".';
    END IF;

    -- Validate set-wise with plain SQL (one pass, no function call per row), then let
    -- check_job raise its message for the first invalid element only.
    SELECT r.ordinality, r.function, r.args, r.queue, r.run_at, r.priority, r.max_attempts, r.unique_key
    INTO bad
    FROM unnest(
        enqueue_many.functions,
        enqueue_many.args,
        enqueue_many.queues,
        enqueue_many.run_ats,
        enqueue_many.priorities,
        enqueue_many.max_attempts,
        enqueue_many.unique_keys
    ) WITH ORDINALITY AS r(function, args, queue, run_at, priority, max_attempts, unique_key, ordinality)
    WHERE r.function IS NULL
       OR char_length(r.function) NOT BETWEEN 1 AND 200
       OR r.function ~ '[\x01-\x1f\x7f-\x9f]'
       OR r.args IS NULL
       OR jsonb_typeof(r.args) <> 'object'
       -- Array elements are never compressed, so the size is the real one.
       OR pg_column_size(r.args) > max_args_bytes
       OR char_length(r.queue) NOT BETWEEN 1 AND 100
       OR r.queue ~ '[\x01-\x1f\x7f-\x9f]'
       OR r.run_at < '1970-01-01 00:00:00+00'
       OR r.run_at >= '10000-01-01 00:00:00+00'
       OR r.priority NOT BETWEEN -100 AND 100
       OR r.max_attempts NOT BETWEEN 1 AND 1000
       OR octet_length(r.unique_key) > 1000
    ORDER BY r.ordinality
    LIMIT 1;

    IF FOUND THEN
        PERFORM offload.check_job(
            format('offload.enqueue_many: element %s', bad.ordinality),
            bad.function,
            bad.args,
            bad.queue,
            bad.priority,
            bad.max_attempts,
            bad.run_at,
            bad.unique_key,
            NULL,
            max_args_bytes
        );
    END IF;

    earliest := offload.claimable_now();

    INSERT INTO offload.claim_floors (queue, priority)
    SELECT DISTINCT coalesce(r.queue, f.queue, 'default'), coalesce(r.priority, 0)
    FROM unnest(enqueue_many.functions, enqueue_many.queues, enqueue_many.priorities)
        AS r(function, queue, priority)
    LEFT JOIN offload.functions AS f
        ON f.id = r.function
    ON CONFLICT DO NOTHING;

    -- unnest with several arrays pads a NULL array with NULLs, which then take the defaults.
    -- ORDER BY keeps ids in array order. Without a unique key in the call, a plain INSERT.
    IF enqueue_many.unique_keys IS NULL
        OR cardinality(array_remove(enqueue_many.unique_keys, NULL)) = 0
    THEN
        INSERT INTO offload.jobs (
            function,
            args,
            queue,
            run_at,
            priority,
            max_attempts
        )
        SELECT
            r.function,
            r.args,
            coalesce(r.queue, f.queue, 'default'),
            greatest(r.run_at, earliest),
            coalesce(r.priority, 0),
            coalesce(r.max_attempts, f.max_attempts, 25)
        FROM unnest(
            enqueue_many.functions,
            enqueue_many.args,
            enqueue_many.queues,
            enqueue_many.run_ats,
            enqueue_many.priorities,
            enqueue_many.max_attempts
        ) WITH ORDINALITY AS r(function, args, queue, run_at, priority, max_attempts, ordinality)
        LEFT JOIN offload.functions AS f
            ON f.id = r.function
        ORDER BY r.ordinality;
    ELSE
        -- ON CONFLICT inserts each row speculatively and keeps its unique-index entry until the
        -- transaction ends; a row that meets another transaction's uncommitted entry waits for that
        -- transaction. Taken in array order, two calls with overlapping keys in opposite orders each
        -- held what the other waited for (a deadlock). Sorted by (function, unique_key) (byte order:
        -- cheap, and the same for every session), a call waits only for keys below the ones it
        -- holds, so no cycle can form. The ids are drawn in array order first (volatile functions
        -- in a target list run after the sort of their own level) and given explicitly, so they
        -- still follow the arrays. An element that repeats an earlier element's key is skipped,
        -- as before: ordinality breaks the tie.
        INSERT INTO offload.jobs (
            id,
            function,
            args,
            queue,
            run_at,
            priority,
            max_attempts,
            unique_key
        )
        SELECT
            numbered.id,
            numbered.function,
            numbered.args,
            numbered.queue,
            numbered.run_at,
            numbered.priority,
            numbered.max_attempts,
            numbered.unique_key
        FROM (
            SELECT
                nextval('offload.jobs_id_seq'::regclass) AS id,
                ordered.*
            FROM (
                SELECT
                    r.ordinality,
                    r.function,
                    r.args,
                    coalesce(r.queue, f.queue, 'default') AS queue,
                    greatest(r.run_at, earliest) AS run_at,
                    coalesce(r.priority, 0) AS priority,
                    coalesce(r.max_attempts, f.max_attempts, 25) AS max_attempts,
                    r.unique_key
                FROM unnest(
                    enqueue_many.functions,
                    enqueue_many.args,
                    enqueue_many.queues,
                    enqueue_many.run_ats,
                    enqueue_many.priorities,
                    enqueue_many.max_attempts,
                    enqueue_many.unique_keys
                ) WITH ORDINALITY AS r(function, args, queue, run_at, priority, max_attempts, unique_key, ordinality)
                LEFT JOIN offload.functions AS f
                    ON f.id = r.function
                ORDER BY r.ordinality
                OFFSET 0
            ) AS ordered
        ) AS numbered
        ORDER BY
            numbered.function COLLATE "C",
            numbered.unique_key COLLATE "C",
            numbered.ordinality
        ON CONFLICT (function, unique_key)
            WHERE unique_key IS NOT NULL
              AND state IN ('available', 'running', 'retryable')
            DO NOTHING;
    END IF;

    GET DIAGNOSTICS inserted = ROW_COUNT;

    -- One wake-up per queue that got a job runnable now (see offload.enqueue).
    PERFORM pg_notify('offload_jobs', runnable.queue)
    FROM (
        SELECT DISTINCT coalesce(r.queue, f.queue, 'default') AS queue
        FROM unnest(enqueue_many.functions, enqueue_many.queues, enqueue_many.run_ats)
            AS r(function, queue, run_at)
        LEFT JOIN offload.functions AS f
            ON f.id = r.function
        WHERE r.run_at IS NULL
           OR r.run_at <= now()
    ) AS runnable
    WHERE inserted > 0;

    RETURN inserted;
END;
$$;

-- As in migration 8, with the fan-out jobs' floor rows.
CREATE OR REPLACE FUNCTION offload.send(
    name            text,
    data            jsonb DEFAULT '{}',
    idempotency_key text DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    event_id       bigint;
    max_args_bytes integer;
    data_bytes     integer;
BEGIN
    IF send.name IS NULL THEN
        RAISE EXCEPTION 'offload.send: name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF send.name ~ '[\x01-\x1f\x7f-\x9f]' THEN
        RAISE EXCEPTION 'offload.send: name must not contain control characters, got %', to_jsonb(send.name)::text
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF char_length(send.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'offload.send: name must be 1 to 200 characters long, got %', char_length(send.name)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF send.data IS NULL THEN
        RAISE EXCEPTION 'offload.send: data must not be NULL (event %)', send.name
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass ''{}'' for an event without data.';
    END IF;
    -- The data becomes each subscriber's job args, which must be an object.
    IF jsonb_typeof(send.data) <> 'object' THEN
        RAISE EXCEPTION 'offload.send: data must be a JSON object, got % (event %)', jsonb_typeof(send.data), send.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Wrap the value in an object, e.g. {"value": ...}.';
    END IF;
    -- As in offload.enqueue: no lookup up to 1 KiB; a compressed value is measured decompressed.
    IF pg_column_size(send.data) > 1024 OR pg_column_compression(send.data) IS NOT NULL THEN
        max_args_bytes := coalesce((SELECT s.max_args_bytes FROM offload.settings AS s), 1048576);
        data_bytes := pg_column_size(
            CASE WHEN pg_column_compression(send.data) IS NULL THEN send.data ELSE send.data || '{}' END
        );
        IF data_bytes > max_args_bytes THEN
            RAISE EXCEPTION 'offload.send: data must be at most % bytes, got % (event %)', max_args_bytes, data_bytes, send.name
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Store large payloads elsewhere and pass a reference; the owner can raise the limit in offload.settings.max_args_bytes.';
        END IF;
    END IF;
    IF octet_length(send.idempotency_key) > 1000 THEN
        RAISE EXCEPTION 'offload.send: idempotency_key must be at most 1000 bytes, got %', octet_length(send.idempotency_key)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a hash of a longer key.';
    END IF;

    -- Like offload.enqueue's unique keys: ON CONFLICT waits for a concurrent sender with the same
    -- key, and the lookup (a new snapshot in READ COMMITTED) then sees its event. In REPEATABLE
    -- READ, ON CONFLICT raises 40001 instead when that event is not visible to the snapshot.
    INSERT INTO offload.events AS e (
        name,
        data,
        idempotency_key
    )
    VALUES (
        send.name,
        send.data,
        send.idempotency_key
    )
    ON CONFLICT (idempotency_key)
        DO NOTHING
    RETURNING e.id
    INTO event_id;

    IF event_id IS NULL THEN
        SELECT e.id
        INTO event_id
        FROM offload.events AS e
        WHERE e.idempotency_key = send.idempotency_key;

        IF event_id IS NULL THEN
            RAISE EXCEPTION 'offload.send: an event with idempotency_key % was sent concurrently and is not visible to this transaction', send.idempotency_key
                USING ERRCODE = 'serialization_failure',
                      HINT = 'Retry the transaction.';
        END IF;
        RETURN event_id;
    END IF;

    INSERT INTO offload.claim_floors (queue, priority)
    SELECT DISTINCT f.queue, 0
    FROM offload.functions AS f
    WHERE send.name = ANY (f.events)
    ON CONFLICT DO NOTHING;

    -- offload.functions holds a handful of rows; scanning it is cheaper than maintaining an index.
    -- run_at takes the column's default, offload.claimable_now().
    INSERT INTO offload.jobs (
        function,
        args,
        queue,
        max_attempts,
        event_id
    )
    SELECT
        f.id,
        send.data,
        f.queue,
        f.max_attempts,
        event_id
    FROM offload.functions AS f
    WHERE send.name = ANY (f.events)
    ORDER BY f.id;

    PERFORM pg_notify('offload_jobs', subscribed.queue)
    FROM (
        SELECT DISTINCT f.queue
        FROM offload.functions AS f
        WHERE send.name = ANY (f.events)
    ) AS subscribed;

    RETURN event_id;
END;
$$;

-- As in migration 8, with run_at = offload.claimable_now() and the floor row of the job's queue.
CREATE OR REPLACE FUNCTION offload.retry(job_id bigint, to_queue text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    job_queue  text;
    active_id  bigint;
BEGIN
    IF retry.to_queue ~ '[\x01-\x1f\x7f-\x9f]' THEN
        RAISE EXCEPTION 'offload.retry: to_queue must not contain control characters, got %', to_jsonb(retry.to_queue)::text
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF char_length(retry.to_queue) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'offload.retry: to_queue must be 1 to 100 characters long, got %', char_length(retry.to_queue)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    BEGIN
        UPDATE offload.jobs AS j
        SET state = 'available',
            queue = coalesce(retry.to_queue, j.queue),
            run_at = offload.claimable_now(),
            attempt = 0,
            result = NULL,
            worker_id = NULL,
            lease_until = NULL,
            cancel_requested_at = NULL,
            attempted_at = NULL,
            finished_at = NULL
        WHERE j.id = retry.job_id
          AND j.state IN ('dead', 'cancelled', 'completed', 'retryable')
        RETURNING j.queue
        INTO job_queue;
    EXCEPTION
        -- Re-running would make a second active job with the same unique key.
        WHEN unique_violation THEN
            SELECT active.id
            INTO active_id
            FROM offload.jobs AS j
            JOIN offload.jobs AS active
                ON active.function = j.function
               AND active.unique_key = j.unique_key
               AND active.state IN ('available', 'running', 'retryable')
            WHERE j.id = retry.job_id;

            RAISE EXCEPTION 'offload.retry: job % cannot run again while job % with the same function and unique_key is active', retry.job_id, active_id
                USING ERRCODE = 'unique_violation';
    END;

    IF job_queue IS NULL THEN
        RETURN false;
    END IF;

    -- A job moved to another queue may be the first of its priority there.
    INSERT INTO offload.claim_floors (queue, priority)
    SELECT j.queue, j.priority
    FROM offload.jobs AS j
    WHERE j.id = retry.job_id
    ON CONFLICT DO NOTHING;

    -- No UPDATE trigger wakes workers (see migration 5), so say it here.
    PERFORM pg_notify('offload_jobs', job_queue);
    RETURN true;
END;
$$;
