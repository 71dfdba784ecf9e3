-- Offload schema, version 2: the SQL API.
--
-- Any language enqueues, sends events, cancels and re-runs jobs by calling these functions, in its
-- own transaction; the Swift library calls the same ones, so defaults, validation and unique keys
-- have one implementation. Invalid input raises SQLSTATE 22023 (invalid_parameter_value), or 22004
-- (null_value_not_allowed) for a missing value, with a message that names the parameter.
--
-- Parameter names are part of the API (callers use named notation, e.g. queue => 'mail'). Several
-- equal a column name, so the functions that touch tables say #variable_conflict use_column and
-- always qualify parameters with the function name (enqueue.queue).

CREATE SCHEMA IF NOT EXISTS offload;

-- ---------------------------------------------------------------------------------------------
-- Validation
-- ---------------------------------------------------------------------------------------------

-- Raises the error a caller should see for one invalid job; returns nothing if the job is valid.
-- The jobs table has the same rules as CHECK constraints, but their errors (23514, "violates check
-- constraint") say neither which value was wrong nor what it was. NULL queue and max_attempts
-- mean "use the default" and are valid.
CREATE FUNCTION offload.check_job_input(
    caller       text,
    function     text,
    args         jsonb,
    queue        text,
    priority     integer,
    max_attempts integer
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF function IS NULL THEN
        RAISE EXCEPTION '%: function must not be NULL', caller
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF char_length(function) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION '%: function must be 1 to 200 characters long, got %', caller, char_length(function)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF args IS NULL THEN
        RAISE EXCEPTION '%: args must not be NULL (function %)', caller, function
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass ''{}'' for a job without arguments.';
    END IF;
    IF jsonb_typeof(args) <> 'object' THEN
        RAISE EXCEPTION '%: args must be a JSON object, got % (function %)', caller, jsonb_typeof(args), function
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Wrap the value in an object, e.g. {"value": ...}.';
    END IF;
    IF char_length(queue) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION '%: queue must be 1 to 100 characters long, got %', caller, char_length(queue)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF priority NOT BETWEEN -100 AND 100 THEN
        RAISE EXCEPTION '%: priority must be between -100 and 100 (lower runs first), got %', caller, priority
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF max_attempts NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION '%: max_attempts must be between 1 and 1000, got %', caller, max_attempts
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END;
$$;

COMMENT ON FUNCTION offload.check_job_input(text, text, jsonb, text, integer, integer) IS
    'Internal: raises 22023/22004 with a clear message for an invalid job.';

-- ---------------------------------------------------------------------------------------------
-- Enqueue
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION offload.enqueue(
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
AS $$
#variable_conflict use_column
DECLARE
    registered_queue        text;
    registered_max_attempts integer;
    job_id                  bigint;
BEGIN
    PERFORM offload.check_job_input(
        'offload.enqueue',
        enqueue.function,
        enqueue.args,
        enqueue.queue,
        enqueue.priority,
        enqueue.max_attempts
    );

    -- Defaults come from the registered function, so a job enqueued from any language lands on
    -- the queue its workers listen to.
    SELECT f.queue, f.max_attempts
    INTO registered_queue, registered_max_attempts
    FROM offload.functions AS f
    WHERE f.id = enqueue.function;

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
            coalesce(enqueue.queue, registered_queue, 'default'),
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

COMMENT ON FUNCTION offload.enqueue(text, jsonb, text, timestamptz, integer, integer, text, text[]) IS
    'Enqueues one job and returns its id; with an active unique_key, returns the existing job''s id. '
    'queue and max_attempts default to the registered function''s, else ''default'' and 25; run_at defaults to now().';

-- Inserts many jobs in one statement; returns how many were inserted. The arrays are columns:
-- element i of each describes job i. A NULL array, or a NULL element, means the default (as in
-- offload.enqueue). Jobs whose unique key is active, or repeated within the call, are skipped.
CREATE FUNCTION offload.enqueue_many(
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
    -- ORDER BY keeps ids in array order.
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

    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted;
END;
$$;

COMMENT ON FUNCTION offload.enqueue_many(text[], jsonb[], text[], timestamptz[], integer[], integer[], text[]) IS
    'Enqueues one job per array element in one statement; returns the number inserted (active unique keys are skipped).';

-- ---------------------------------------------------------------------------------------------
-- Events
-- ---------------------------------------------------------------------------------------------

-- Records an event and, in the caller's transaction, one job per function subscribed to it: the
-- job's args are the event's data, its event_id the event's id. Returns the event's id. An event
-- nobody subscribes to is still recorded. A repeated idempotency_key returns the first event's id
-- and creates nothing (for as long as that event has not been pruned).
CREATE FUNCTION offload.send(
    name            text,
    data            jsonb DEFAULT '{}',
    idempotency_key text DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
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

    RETURN event_id;
END;
$$;

COMMENT ON FUNCTION offload.send(text, jsonb, text) IS
    'Records an event and enqueues one job per subscribed function, in the caller''s transaction; returns the event id.';

-- ---------------------------------------------------------------------------------------------
-- Operating on jobs
-- ---------------------------------------------------------------------------------------------

-- Cancels a job and returns its resulting state, or NULL if there is no such job:
--   available, retryable  -> 'cancelled' at once
--   running               -> stays 'running' with cancel_requested_at set; the worker sees the
--                            request at its next heartbeat, cancels the handler and records
--                            'cancelled' (or the outcome, if the handler finished first)
--   finished              -> unchanged
-- The UPDATE waits for a worker that is claiming the job at that moment and then re-reads it,
-- so a job is never cancelled from a state it has already left.
CREATE FUNCTION offload.cancel(job_id bigint)
RETURNS text
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    new_state offload.job_state;
BEGIN
    UPDATE offload.jobs AS j
    SET state = CASE
            WHEN j.state = 'running' THEN j.state
            ELSE 'cancelled'
        END,
        finished_at = CASE
            WHEN j.state = 'running' THEN j.finished_at
            ELSE now()
        END,
        cancel_requested_at = CASE
            WHEN j.state = 'running' THEN coalesce(j.cancel_requested_at, now())
            ELSE j.cancel_requested_at
        END
    WHERE j.id = cancel.job_id
      AND j.state IN ('available', 'retryable', 'running')
    RETURNING j.state
    INTO new_state;

    IF FOUND THEN
        -- For workers that want to react before their next heartbeat; payload: the job id.
        IF new_state = 'running' THEN
            PERFORM pg_notify('offload_cancel', cancel.job_id::text);
        END IF;
        RETURN new_state::text;
    END IF;

    SELECT j.state
    INTO new_state
    FROM offload.jobs AS j
    WHERE j.id = cancel.job_id;

    RETURN new_state::text;
END;
$$;

COMMENT ON FUNCTION offload.cancel(bigint) IS
    'Cancels a waiting job, or asks the worker to cancel a running one; returns the resulting state (NULL: no such job).';

-- Re-runs a finished job by hand (from the dead-letter queue, or after a cancel, or again after
-- it completed), or makes a retryable job run now: back to 'available' at once, with a fresh
-- attempt budget (attempt 0) and optionally on another queue. The errors history is kept; the
-- previous result is cleared because it describes a run that is over. Returns false if the job
-- does not exist or is waiting or running already.
CREATE FUNCTION offload.retry(job_id bigint, to_queue text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    job_queue  text;
    active_id  bigint;
BEGIN
    IF char_length(retry.to_queue) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'offload.retry: to_queue must be 1 to 100 characters long, got %', char_length(retry.to_queue)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    BEGIN
        UPDATE offload.jobs AS j
        SET state = 'available',
            queue = coalesce(retry.to_queue, j.queue),
            run_at = now(),
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

    -- No UPDATE trigger wakes workers (see offload.notify_inserted_jobs), so say it here.
    PERFORM pg_notify('offload_jobs', job_queue);
    RETURN true;
END;
$$;

COMMENT ON FUNCTION offload.retry(bigint, text) IS
    'Puts a dead, cancelled, completed or retryable job back to available now with attempt 0, optionally on another queue; false if not possible.';
