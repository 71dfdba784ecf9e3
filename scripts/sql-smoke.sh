#!/usr/bin/env bash
# Checks the SQL API in Migrations/ against a real database, with psql only:
#
#   scripts/sql-smoke.sh postgres://postgres@127.0.0.1:54340/scratch
#
# Installs Migrations/*.sql first if the database has no offload schema. Every check works on
# function names unique to this run and removes its rows at the end, so it can run against a
# shared development database. Exits non-zero on the first failed check.
set -euo pipefail

url=${1:?usage: $0 DATABASE_URL}
root=$(cd "$(dirname "$0")/.." && pwd)
run_id="smoke-$$-$RANDOM"
psql=(psql "$url" -X -q -v ON_ERROR_STOP=1 -v run="$run_id")

if [[ $("${psql[@]}" -At -c "SELECT to_regclass('offload.jobs') IS NULL") == t ]]; then
    echo "installing Migrations/*.sql"
    for file in "$root"/Migrations/*.sql; do
        "${psql[@]}" --single-transaction -c 'SET client_min_messages = warning' -f "$file"
    done
fi

cleanup() {
    "${psql[@]}" <<'SQL' || true
DELETE FROM offload.jobs WHERE function LIKE :'run' || '%' OR queue LIKE :'run' || '%';
DELETE FROM offload.events WHERE name LIKE :'run' || '%';
DELETE FROM offload.functions WHERE id LIKE :'run' || '%';
SQL
}
trap cleanup EXIT

echo "== transactional enqueue, validation, unique keys, events, cancel, retry, hostile input"
"${psql[@]}" <<'SQL'
\o /dev/null
SET client_min_messages = warning;

-- Runs `statement` and fails unless it raises `sqlstate` with a message containing `fragment`.
CREATE FUNCTION pg_temp.expect_error(statement text, sqlstate text, fragment text)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    got_state   text;
    got_message text;
BEGIN
    BEGIN
        EXECUTE statement;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS got_state = RETURNED_SQLSTATE, got_message = MESSAGE_TEXT;
    END;
    IF got_state IS NULL THEN
        RAISE EXCEPTION 'expected SQLSTATE % from: %', sqlstate, statement;
    END IF;
    IF got_state <> sqlstate OR position(fragment IN got_message) = 0 THEN
        RAISE EXCEPTION 'expected SQLSTATE % with "%" from: %; got %: %', sqlstate, fragment, statement, got_state, got_message;
    END IF;
END;
$$;

\set f :run '-greet'
-- DO blocks cannot see psql variables; hand them over as settings.
SELECT set_config('smoke.f', :'f', false), set_config('smoke.run', :'run', false) \g /dev/null

-- A rolled-back transaction leaves no job and no event.
BEGIN;
SELECT offload.enqueue(:'f', '{"name": "rolled back"}') \g /dev/null
SELECT offload.send(:'run' || '/rolled.back', '{}') \g /dev/null
ROLLBACK;
SELECT
    (SELECT count(*) FROM offload.jobs WHERE function = :'f') = 0
    AND (SELECT count(*) FROM offload.events WHERE name = :'run' || '/rolled.back') = 0 AS ok
\gset
\if :ok
\else
    \warn 'FAIL: a rolled-back enqueue left a job'
    \quit 1
\endif

-- Defaults, and the values given.
DO $$
DECLARE
    f      text := current_setting('smoke.f');
    job_id bigint;
    job    offload.jobs;
BEGIN
    job_id := offload.enqueue(f, '{"a": 1}');
    SELECT * INTO job FROM offload.jobs WHERE id = job_id;
    ASSERT job.queue = 'default' AND job.state = 'available' AND job.priority = 0
        AND job.max_attempts = 25 AND job.attempt = 0 AND job.tags = '{}'
        AND job.run_at <= now() AND job.errors = '[]', 'enqueue defaults: ' || row_to_json(job);

    job_id := offload.enqueue(
        f, '{}', queue => f || '-q', run_at => now() + interval '1 hour', priority => -5,
        max_attempts => 3, tags => ARRAY['x', 'y']);
    SELECT * INTO job FROM offload.jobs WHERE id = job_id;
    ASSERT job.queue = f || '-q' AND job.priority = -5 AND job.max_attempts = 3
        AND job.run_at > now() AND job.tags = ARRAY['x', 'y'], 'enqueue options: ' || row_to_json(job);
END;
$$;

-- Invalid input: a proper SQLSTATE and a message that names the problem.
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, %L)', :'f', '[1, 2]'), '22023', 'args must be a JSON object, got array');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, %L)', :'f', '"text"'), '22023', 'got string');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, %L)', :'f', 'null'), '22023', 'got null');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, NULL)', :'f'), '22004', 'args must not be NULL');
SELECT pg_temp.expect_error('SELECT offload.enqueue(NULL, ''{}'')', '22004', 'function must not be NULL');
SELECT pg_temp.expect_error('SELECT offload.enqueue('''', ''{}'')', '22023', 'function must be 1 to 200 characters long, got 0');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, ''{}'')', repeat('x', 201)), '22023', 'got 201');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, ''{}'', max_attempts => 0)', :'f'), '22023', 'max_attempts must be between 1 and 1000');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, ''{}'', priority => 101)', :'f'), '22023', 'priority must be between -100 and 100');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, ''{}'', priority => -101)', :'f'), '22023', 'got -101');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue(%L, ''{}'', queue => '''')', :'f'), '22023', 'queue must be 1 to 100 characters long');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue_many(ARRAY[%L, %L], ARRAY[''{}''::jsonb])', :'f', :'f'), '22023', 'equal lengths, got functions 2, args 1');
SELECT pg_temp.expect_error(format('SELECT offload.enqueue_many(ARRAY[%L, %L], ARRAY[''{}'', ''7'']::jsonb[])', :'f', :'f'), '22023', 'element 2: args must be a JSON object, got number');
SELECT pg_temp.expect_error('SELECT offload.send('''')', '22023', 'name must be 1 to 200 characters long');
SELECT pg_temp.expect_error(format('SELECT offload.send(%L, ''[]'')', :'run'), '22023', 'data must be a JSON object, got array');
SELECT pg_temp.expect_error('SELECT offload.retry(1, to_queue => '''')', '22023', 'to_queue must be 1 to 100 characters long');

-- Unique keys: a second enqueue returns the active job; after it finished, a new one is created.
DO $$
DECLARE
    f      text := current_setting('smoke.f');
    first  bigint;
    second bigint;
    third  bigint;
BEGIN
    first := offload.enqueue(f, '{"n": 1}', unique_key => 'k');
    second := offload.enqueue(f, '{"n": 2}', unique_key => 'k');
    ASSERT first = second, format('unique key: %s then %s', first, second);
    -- Still deduplicated while it runs.
    UPDATE offload.jobs SET state = 'running', attempt = 1 WHERE id = first;
    ASSERT offload.enqueue(f, '{"n": 3}', unique_key => 'k') = first, 'unique key while running';
    -- The same key on another function is another job.
    ASSERT offload.enqueue(f || '-other', '{}', unique_key => 'k') <> first, 'unique key is per function';
    UPDATE offload.jobs SET state = 'completed', finished_at = now() WHERE id = first;
    third := offload.enqueue(f, '{"n": 4}', unique_key => 'k');
    ASSERT third <> first, 'unique key after completion';
    ASSERT (SELECT args FROM offload.jobs WHERE id = third) = '{"n": 4}', 'the new job has the new args';
END;
$$;

-- enqueue_many: defaults per NULL array or element, skipped duplicate keys, ids in array order.
DO $$
DECLARE
    f        text := current_setting('smoke.f') || '-many';
    inserted bigint;
    ids      bigint[];
BEGIN
    inserted := offload.enqueue_many(
        ARRAY[f, f, f, f],
        ARRAY['{"i": 1}', '{"i": 2}', '{"i": 3}', '{"i": 4}']::jsonb[],
        queues => ARRAY[NULL, f || '-q', NULL, NULL],
        priorities => ARRAY[1, 2, NULL, 4],
        unique_keys => ARRAY['a', 'a', 'b', NULL]
    );
    ASSERT inserted = 3, format('enqueue_many inserted %s, expected 3 (one duplicate key)', inserted);
    SELECT array_agg(id ORDER BY id) INTO ids FROM offload.jobs WHERE function = f;
    ASSERT (SELECT array_agg((args ->> 'i')::int ORDER BY id) FROM offload.jobs WHERE function = f) = ARRAY[1, 3, 4],
        'enqueue_many keeps array order';
    ASSERT (SELECT queue FROM offload.jobs WHERE id = ids[1]) = 'default', 'NULL queue element means default';
    ASSERT (SELECT priority FROM offload.jobs WHERE id = ids[2]) = 0, 'NULL priority element means 0';
    inserted := offload.enqueue_many(ARRAY[f], ARRAY['{}']::jsonb[], unique_keys => ARRAY['b']);
    ASSERT inserted = 0, 'enqueue_many skips an active unique key';
END;
$$;

-- Events: one job per subscriber, with the event's data and id; queue and attempts from the
-- registry; an event nobody subscribes to is kept; an idempotency key is honoured.
DO $$
DECLARE
    r        text := current_setting('smoke.run');
    event    text := r || '/source.connected';
    first    bigint;
    again    bigint;
    nobody   bigint;
BEGIN
    INSERT INTO offload.functions (id, events, queue, max_attempts)
    VALUES (r || '-backfill-user-data', ARRAY[event], r || '-backfill', 3),
           (r || '-send-welcome-email', ARRAY['other', event], 'default', 5),
           (r || '-unrelated', ARRAY[r || '/other'], 'default', 25);

    first := offload.send(event, '{"sourceId": 1}', idempotency_key => r || '-idem');
    ASSERT (SELECT count(*) FROM offload.jobs WHERE event_id = first) = 2, 'send creates one job per subscriber';
    ASSERT (SELECT bool_and(args = '{"sourceId": 1}') FROM offload.jobs WHERE event_id = first), 'job args are the event data';
    ASSERT (SELECT queue || '/' || max_attempts FROM offload.jobs WHERE event_id = first AND function LIKE '%backfill-user-data')
        = r || '-backfill/3', 'queue and max_attempts come from the registry';

    again := offload.send(event, '{"sourceId": 2}', idempotency_key => r || '-idem');
    ASSERT again = first, 'a repeated idempotency key returns the first event';
    ASSERT (SELECT count(*) FROM offload.events WHERE name = event) = 1, 'a repeated idempotency key stores nothing';
    ASSERT (SELECT count(*) FROM offload.jobs WHERE function LIKE r || '-%' AND event_id IS NOT NULL) = 2,
        'a repeated idempotency key creates no jobs';

    nobody := offload.send(r || '/nobody.listens', '{"x": 1}');
    ASSERT (SELECT count(*) FROM offload.events WHERE id = nobody) = 1, 'an event without subscribers is stored';
    ASSERT (SELECT count(*) FROM offload.jobs WHERE event_id = nobody) = 0, 'an event without subscribers creates no jobs';

    -- Registered defaults also apply to offload.enqueue.
    first := offload.enqueue(r || '-backfill-user-data', '{}');
    ASSERT (SELECT queue FROM offload.jobs WHERE id = first) = r || '-backfill', 'enqueue takes the registered queue';
END;
$$;

-- cancel and retry.
DO $$
DECLARE
    f       text := current_setting('smoke.f') || '-ops';
    waiting bigint := offload.enqueue(f, '{}');
    running bigint := offload.enqueue(f, '{}');
    done    bigint := offload.enqueue(f, '{}');
    keyed   bigint := offload.enqueue(f, '{}', unique_key => 'once');
BEGIN
    UPDATE offload.jobs SET state = 'running', attempt = 1, worker_id = 'w' WHERE id = running;
    UPDATE offload.jobs SET state = 'completed', attempt = 1, finished_at = now() WHERE id = done;

    ASSERT offload.cancel(waiting) = 'cancelled', 'cancel an available job';
    ASSERT (SELECT finished_at IS NOT NULL FROM offload.jobs WHERE id = waiting), 'a cancelled job is finished';
    ASSERT offload.cancel(running) = 'running', 'cancel a running job asks the worker';
    ASSERT (SELECT cancel_requested_at IS NOT NULL AND state = 'running' FROM offload.jobs WHERE id = running), 'cancel_requested_at set';
    ASSERT offload.cancel(done) = 'completed', 'cancel leaves a finished job alone';
    ASSERT offload.cancel(-1) IS NULL, 'cancel of no job is NULL';

    UPDATE offload.jobs
    SET state = 'dead', attempt = 25, finished_at = now(),
        errors = '[{"at": "2026-01-01T00:00:00Z", "attempt": 25, "message": "boom", "type": "E", "worker": "w"}]'
    WHERE id = keyed;
    ASSERT offload.retry(keyed, to_queue => f || '-elsewhere'), 'retry a dead job';
    ASSERT (SELECT state = 'available' AND attempt = 0 AND queue = f || '-elsewhere' AND finished_at IS NULL
                   AND jsonb_array_length(errors) = 1
            FROM offload.jobs WHERE id = keyed), 'retry resets the attempt, moves the queue and keeps the errors';
    ASSERT offload.retry(waiting), 'retry a cancelled job';
    ASSERT NOT offload.retry(running), 'a running job cannot be retried';
    ASSERT NOT offload.retry(-1), 'retry of no job is false';

    -- Re-running a finished unique job while another with its key is active is refused clearly.
    UPDATE offload.jobs SET state = 'completed', finished_at = now() WHERE id = keyed;
    PERFORM offload.enqueue(f, '{}', unique_key => 'once');
    PERFORM pg_temp.expect_error(format('SELECT offload.retry(%s)', keyed), '23505', 'cannot run again while job');
END;
$$;

-- Hostile strings are data: they round-trip unchanged and nothing else happens.
\set evil '''; DROP TABLE offload.jobs; --'
\set quotes 'it''s "quoted" \\ back\\slash $$ dollar $$'
\set unicode 'Zoë 🚀 日本語 ‮right-to-left'
SELECT set_config('smoke.evil', :'evil', false), set_config('smoke.quotes', :'quotes', false),
       set_config('smoke.unicode', :'unicode', false) \g /dev/null
DO $$
DECLARE
    evil    text := current_setting('smoke.evil');
    quotes  text := current_setting('smoke.quotes');
    unicode text := current_setting('smoke.unicode');
    f       text := current_setting('smoke.f') || '-' || evil || quotes || unicode;
    new_job   bigint;
    new_event bigint;
BEGIN
    new_job := offload.enqueue(f, jsonb_build_object(evil, quotes, 'u', unicode),
                          queue => current_setting('smoke.f') || unicode, unique_key => evil, tags => ARRAY[evil, unicode]);
    ASSERT (SELECT function = f AND args ->> evil = quotes AND args ->> 'u' = unicode AND unique_key = evil
                   AND tags = ARRAY[evil, unicode]
            FROM offload.jobs WHERE id = new_job), 'hostile strings round-trip';
    new_event := offload.send(current_setting('smoke.run') || '/' || evil, jsonb_build_object('q', quotes), idempotency_key => unicode || evil);
    ASSERT (SELECT data ->> 'q' = quotes FROM offload.events WHERE id = new_event), 'hostile event data round-trips';
    ASSERT offload.send(current_setting('smoke.run') || '/' || evil, '{}', idempotency_key => unicode || evil) = new_event,
        'hostile idempotency key matches';
    ASSERT to_regclass('offload.jobs') IS NOT NULL, 'still here';
END;
$$;
SQL
echo "ok"

echo "== wake-ups: one NOTIFY per queue per statement, none for scheduled jobs"
# psql prints notifications it receives (its own included) after each statement.
notifications=$("${psql[@]}" <<'SQL'
LISTEN offload_jobs;
LISTEN offload_cancel;
SELECT offload.enqueue_many(
    ARRAY[:'run', :'run', :'run', :'run', :'run', :'run'],
    array_fill('{}'::jsonb, ARRAY[6]),
    queues => ARRAY[:'run' || '-a', :'run' || '-a', :'run' || '-a', :'run' || '-b', :'run' || '-b', :'run' || '-later'],
    run_ats => ARRAY[NULL, NULL, NULL, NULL, NULL, now() + interval '1 hour']
) \g /dev/null
\echo ---
SELECT offload.enqueue(:'run', '{}', queue => :'run' || '-later', run_at => now() + interval '1 minute') \g /dev/null
\echo ---
SELECT offload.cancel(offload.enqueue(:'run', '{}', queue => :'run' || '-c')) \g /dev/null
\echo ---
SELECT offload.retry(id) FROM offload.jobs WHERE queue = :'run' || '-c' \g /dev/null
\echo ---
SQL
)
expected=$(cat <<EOF
Asynchronous notification "offload_jobs" with payload "$run_id-a" received
Asynchronous notification "offload_jobs" with payload "$run_id-b" received
---
---
Asynchronous notification "offload_jobs" with payload "$run_id-c" received
---
Asynchronous notification "offload_jobs" with payload "$run_id-c" received
---
EOF
)
actual=$(sed -E 's/ from server process with PID [0-9]+\.$//' <<<"$notifications" | awk '/^---$/ { if (n) { fflush(); print block | "sort"; close("sort") } print; block = ""; n = 0; next } { block = block (n ? "\n" : "") $0; n++ }')
[[ -n "${SMOKE_DEBUG:-}" ]] && echo "$actual"
if [[ "$actual" != "$expected" ]]; then
    echo "FAIL: notifications differ"
    echo "expected:"; echo "$expected"
    echo "actual:"; echo "$notifications"
    exit 1
fi
# A per-row trigger would also deliver one notification per queue (PostgreSQL folds duplicates
# within a transaction), so check that the trigger itself is statement-level.
row_level=$("${psql[@]}" -At -c "SELECT (tgtype & 1) = 1 FROM pg_trigger WHERE tgname = 'jobs_notify_inserted' AND tgrelid = 'offload.jobs'::regclass")
if [[ "$row_level" != f ]]; then
    echo "FAIL: jobs_notify_inserted should be FOR EACH STATEMENT (got row-level: '$row_level')"
    exit 1
fi
echo "ok"
echo "all SQL smoke checks passed"
