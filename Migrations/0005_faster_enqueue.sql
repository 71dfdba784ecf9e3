-- Offload schema, version 5: cheaper enqueues.
--
-- Measured with pgbench on PostgreSQL 15, 2 cores (BENCHMARKS.md):
-- * The AFTER INSERT statement trigger that sent the wake-up cost ~40 µs per single enqueue and
--   ~0.4 s per enqueue_many of 100,000 jobs: PostgreSQL copies every inserted row into the trigger's
--   transition table, and the trigger then reads them all back for their queues. The three enqueue
--   functions know their queues already, so they notify themselves and the trigger goes.
--   A job INSERTed into offload.jobs directly (not through these functions) now wakes no one at
--   once; workers find it at their next poll (WorkerConfiguration.pollInterval, 1 s by default).
-- * INSERT ... ON CONFLICT inserts every row speculatively (one more WAL record and buffer lock per
--   row), needed only for jobs with a unique key. Jobs without one take a plain INSERT.
-- * offload.check_job_input is a plpgsql call of its own; the functions now test the rules in one
--   expression and call it only to word the error for an invalid job.
--
-- CREATE OR REPLACE keeps each function's owner and grants but resets its attributes, so SECURITY
-- DEFINER and the fixed search_path of migration 4 are repeated here.

DROP TRIGGER jobs_notify_inserted ON offload.jobs;
DROP FUNCTION offload.notify_inserted_jobs();

-- ---------------------------------------------------------------------------------------------
-- Enqueue
-- ---------------------------------------------------------------------------------------------

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
BEGIN
    -- The rules of offload.check_job_input in one expression (NULL counts as a failure); that
    -- function runs only to word the error.
    IF (enqueue.function IS NOT NULL
        AND char_length(enqueue.function) BETWEEN 1 AND 200
        AND jsonb_typeof(enqueue.args) = 'object'
        AND coalesce(char_length(enqueue.queue) BETWEEN 1 AND 100, true)
        AND coalesce(enqueue.priority BETWEEN -100 AND 100, true)
        AND coalesce(enqueue.max_attempts BETWEEN 1 AND 1000, true)) IS NOT TRUE
    THEN
        PERFORM offload.check_job_input(
            'offload.enqueue',
            enqueue.function,
            enqueue.args,
            enqueue.queue,
            enqueue.priority,
            enqueue.max_attempts
        );
    END IF;

    -- Defaults come from the registered function, so a job enqueued from any language lands on
    -- the queue its workers listen to.
    SELECT f.queue, f.max_attempts
    INTO registered_queue, registered_max_attempts
    FROM offload.functions AS f
    WHERE f.id = enqueue.function;

    job_queue := coalesce(enqueue.queue, registered_queue, 'default');

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
            coalesce(enqueue.run_at, now()),
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
            coalesce(enqueue.run_at, now()),
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

-- Inserts many jobs in one statement; returns how many were inserted. The arrays are columns:
-- element i of each describes job i. A NULL array, or a NULL element, means the default (as in
-- offload.enqueue). Jobs whose unique key is active, or repeated within the call, are skipped.
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
    job_count integer := cardinality(enqueue_many.functions);
    bad       record;
    inserted  bigint;
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
    -- check_job_input raise its message for the first invalid element only.
    SELECT r.ordinality, r.function, r.args, r.queue, r.priority, r.max_attempts
    INTO bad
    FROM unnest(
        enqueue_many.functions,
        enqueue_many.args,
        enqueue_many.queues,
        enqueue_many.priorities,
        enqueue_many.max_attempts
    ) WITH ORDINALITY AS r(function, args, queue, priority, max_attempts, ordinality)
    WHERE r.function IS NULL
       OR char_length(r.function) NOT BETWEEN 1 AND 200
       OR r.args IS NULL
       OR jsonb_typeof(r.args) <> 'object'
       OR char_length(r.queue) NOT BETWEEN 1 AND 100
       OR r.priority NOT BETWEEN -100 AND 100
       OR r.max_attempts NOT BETWEEN 1 AND 1000
    ORDER BY r.ordinality
    LIMIT 1;

    IF FOUND THEN
        PERFORM offload.check_job_input(
            format('offload.enqueue_many: element %s', bad.ordinality),
            bad.function,
            bad.args,
            bad.queue,
            bad.priority,
            bad.max_attempts
        );
    END IF;

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
            coalesce(r.run_at, now()),
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
        INSERT INTO offload.jobs (
            function,
            args,
            queue,
            run_at,
            priority,
            max_attempts,
            unique_key
        )
        SELECT
            r.function,
            r.args,
            coalesce(r.queue, f.queue, 'default'),
            coalesce(r.run_at, now()),
            coalesce(r.priority, 0),
            coalesce(r.max_attempts, f.max_attempts, 25),
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

-- ---------------------------------------------------------------------------------------------
-- Events
-- ---------------------------------------------------------------------------------------------

-- As in migration 2, plus the wake-up the trigger used to send for the jobs it creates.
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
    event_id bigint;
BEGIN
    IF send.name IS NULL THEN
        RAISE EXCEPTION 'offload.send: name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
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

    -- offload.functions holds a handful of rows; scanning it is cheaper than maintaining an index.
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
