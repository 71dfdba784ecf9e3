-- Offload schema, version 8: hardening against hostile input and planted objects (issue 13, SQL side).
--
-- 1. Every function in schema offload runs with search_path = pg_catalog, pg_temp. An operator or
--    function that a caller planted in a schema on its own search_path (e.g. public.= for
--    (offload.job_state, offload.job_state), public.now()) is never resolved inside them, whoever
--    calls them: before this migration offload.cancel, offload.retry and offload.claim resolved names
--    through the caller's path, so an app role with CREATE on public could make the owner or a
--    worker run its code. Every Offload object in the bodies is schema-qualified; what is not
--    qualified (now(), pg_notify, =, …) is PostgreSQL's own, in pg_catalog. The loop at the end sets
--    the path on every function of the schema that lacks it, including those of earlier migrations;
--    a later migration must set it on the functions it creates or replaces (CREATE OR REPLACE resets
--    it), and SecurityTests fails otherwise.
--
-- 2. The SQL API refuses what readers cannot handle, with SQLSTATE 22023 and a message that names the
--    parameter, like the checks of migration 2:
--    * run_at must lie from 1970-01-01 00:00:00 UTC (inclusive) to 10000-01-01 00:00:00 UTC
--      (exclusive): finite, and a time whose distance from now fits every reader's arithmetic
--      (a worker's queue-wait metric, the lag in offload.queue_stats). NULL still means now.
--    * tags must be one-dimensional without NULL elements.
--    * function, queue (also offload.retry's to_queue) and event names must not contain control
--      characters: U+0001–U+001F, U+007F–U+009F. They are printed in tables and log lines, where an
--      escape sequence would drive the operator's terminal.
--    * unique_key and idempotency_key must be at most 1000 bytes (UTF-8): both are in a btree index,
--      whose entries cannot exceed about 2.7 KB.
--    * args (and an event's data, which becomes its jobs' args) must be at most
--      offload.settings.max_args_bytes bytes, 1 MiB unless the owner changes it:
--          UPDATE offload.settings SET max_args_bytes = 4194304;
--      The size is that of the jsonb value uncompressed (pg_column_size of it as sent; a value
--      read from a table, which may be compressed, is measured decompressed): close to the length
--      of its JSON text. A worker claims up to its batch size of jobs at once and holds their
--      arguments in memory, so unbounded arguments let any enqueuer exhaust a worker's memory.
--
-- 3. The monitoring views tolerate what is already stored: a run_at or heartbeat of ±infinity (from
--    before this migration, or written by the owner) no longer makes them fail with "cannot subtract
--    infinite timestamps". Their columns are unchanged.
--
-- 4. enqueue_many takes unique keys in one order, whatever the order of its arrays: it inserts the
--    jobs that have a unique key sorted by (function, unique_key). Two concurrent calls with
--    overlapping keys in opposite orders deadlocked (each held a key the other waited for); now the
--    second waits for the first and skips the keys it took. Ids still follow array order.
--
-- The migrator runs this file in one transaction; SET LOCAL makes even this migration's own DDL
-- immune to objects planted on the owner's search_path (view bodies are bound when created).

SET LOCAL search_path = pg_catalog, pg_temp;

-- ---------------------------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------------------------

-- One row of settings the owner may change with SQL. A table rather than a custom setting
-- (offload.max_args_bytes via current_setting): any session can SET a custom setting for itself,
-- which would let an enqueuer lift its own limit. Only the owner can write this table.
CREATE TABLE offload.settings (
    -- Always true: makes the table hold at most one row.
    singleton      boolean PRIMARY KEY DEFAULT true,
    -- The largest args (or event data) the SQL API accepts, in bytes. Defaults to 1 MiB.
    max_args_bytes integer NOT NULL DEFAULT 1048576,

    CONSTRAINT settings_one_row CHECK (singleton),
    -- At least 1 KiB, so that small arguments never need to look the limit up (see offload.enqueue).
    CONSTRAINT settings_max_args_bytes_range CHECK (max_args_bytes BETWEEN 1024 AND 1073741823)
);

COMMENT ON TABLE offload.settings IS
    'Limits of the SQL API, one row; the owner changes them with UPDATE (max_args_bytes: the largest args or event data, in bytes).';

INSERT INTO offload.settings DEFAULT VALUES;

-- ---------------------------------------------------------------------------------------------
-- Validation
-- ---------------------------------------------------------------------------------------------

-- Raises the error a caller should see for one invalid job; returns nothing if the job is valid.
-- The rules of offload.check_job_input (migration 2), plus those of this migration. Names are
-- checked for control characters first, so that no other message prints them raw. Values in
-- messages go through to_jsonb(…)::text, which escapes control characters as JSON does.
CREATE FUNCTION offload.check_job(
    caller         text,
    function       text,
    args           jsonb,
    queue          text,
    priority       integer,
    max_attempts   integer,
    run_at         timestamptz,
    unique_key     text,
    tags           text[],
    max_args_bytes integer
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF function ~ '[\x01-\x1f\x7f-\x9f]' THEN
        RAISE EXCEPTION '%: function must not contain control characters, got %', caller, to_jsonb(function)::text
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF queue ~ '[\x01-\x1f\x7f-\x9f]' THEN
        RAISE EXCEPTION '%: queue must not contain control characters, got %', caller, to_jsonb(queue)::text
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    PERFORM offload.check_job_input(caller, function, args, queue, priority, max_attempts);

    IF run_at < '1970-01-01 00:00:00+00' OR run_at >= '10000-01-01 00:00:00+00' THEN
        RAISE EXCEPTION '%: run_at must be from 1970-01-01 to 9999-12-31 (UTC), got %', caller, run_at
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass NULL to run the job now.';
    END IF;
    IF octet_length(unique_key) > 1000 THEN
        RAISE EXCEPTION '%: unique_key must be at most 1000 bytes, got %', caller, octet_length(unique_key)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a hash of a longer key.';
    END IF;
    IF array_ndims(tags) > 1 THEN
        RAISE EXCEPTION '%: tags must be a one-dimensional array, got % dimensions', caller, array_ndims(tags)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(tags, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '%: tags must not contain NULL, got NULL at position %', caller, array_position(tags, NULL)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A value read from a table may come compressed: measure it decompressed (|| copies it).
    IF pg_column_size(CASE WHEN pg_column_compression(args) IS NULL THEN args ELSE args || '{}' END) > max_args_bytes THEN
        RAISE EXCEPTION '%: args must be at most % bytes, got % (function %)', caller, max_args_bytes,
            pg_column_size(CASE WHEN pg_column_compression(args) IS NULL THEN args ELSE args || '{}' END), function
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Store large payloads elsewhere and pass a reference; the owner can raise the limit in offload.settings.max_args_bytes.';
    END IF;
END;
$$;

COMMENT ON FUNCTION offload.check_job(text, text, jsonb, text, integer, integer, timestamptz, text, text[], integer) IS
    'Internal: raises 22023/22004 with a clear message for an invalid job.';

-- ---------------------------------------------------------------------------------------------
-- Enqueue
-- ---------------------------------------------------------------------------------------------

-- As in migration 5, with the rules above.
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

-- As in migration 5, with the rules above, and unique keys taken in (function, unique_key) order.
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
                    coalesce(r.run_at, now()) AS run_at,
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

-- ---------------------------------------------------------------------------------------------
-- Events
-- ---------------------------------------------------------------------------------------------

-- As in migration 5, with the rules above for the name, the data and the idempotency key.
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

-- ---------------------------------------------------------------------------------------------
-- Operating on jobs
-- ---------------------------------------------------------------------------------------------

-- As in migration 2, refusing a to_queue with control characters; and with the fixed search_path.
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

    -- No UPDATE trigger wakes workers (see migration 5), so say it here.
    PERFORM pg_notify('offload_jobs', job_queue);
    RETURN true;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Monitoring views that tolerate odd stored timestamps
-- ---------------------------------------------------------------------------------------------

-- As in migration 3, except the lag: it counts from the oldest runnable run_at, but from no earlier
-- than 1970-01-01 (the earliest run_at the API accepts), so a run_at of -infinity (or year 1) gives
-- a large finite lag rather than an error or an interval no reader can hold. oldest_run_at is still
-- the true minimum, which may be -infinity.
CREATE OR REPLACE VIEW offload.queue_stats AS
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
        now() - min(greatest(jobs.run_at, '1970-01-01 00:00:00+00'::timestamptz))
            FILTER (WHERE jobs.state IN ('available', 'retryable') AND jobs.run_at <= now()),
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

-- As in migration 3, except seconds_since_heartbeat: the difference of two epochs rather than the
-- epoch of a difference, which is ±Infinity instead of an error for an infinite heartbeat_at.
CREATE OR REPLACE VIEW offload.live_workers AS
SELECT
    w.id,
    w.hostname,
    w.pid,
    w.queues,
    w.concurrency,
    w.started_at,
    w.heartbeat_at,
    (extract(epoch FROM now()) - extract(epoch FROM w.heartbeat_at))::double precision AS seconds_since_heartbeat,
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

-- ---------------------------------------------------------------------------------------------
-- A fixed search_path on every function of the schema
-- ---------------------------------------------------------------------------------------------

-- Covers the functions of earlier migrations (offload.check_job_input, offload.cancel,
-- offload.claim, and any other) without repeating their bodies: ALTER keeps body, owner and grants.
DO $$
DECLARE
    routine regprocedure;
BEGIN
    FOR routine IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = 'offload'::regnamespace
          AND p.prokind IN ('f', 'p')
          AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
        ORDER BY p.oid
    LOOP
        -- regprocedure prints offload.name(argument types), schema-qualified under this path.
        EXECUTE format('ALTER ROUTINE %s SET search_path = pg_catalog, pg_temp', routine);
    END LOOP;
END;
$$;
