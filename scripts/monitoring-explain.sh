#!/usr/bin/env bash
# Loads a scratch database with a busy day's worth of jobs and prints EXPLAIN (ANALYZE, BUFFERS)
# of each monitoring view and of the claim query; docs/monitoring-explain.md is its output.
#
#   scripts/monitoring-explain.sh postgres://postgres@127.0.0.1:54340/scratch
#
# The database must be empty or disposable: the script installs Migrations/*.sql into it and
# inserts 1,000,000 completed, 100,000 scheduled and a few thousand other jobs.
set -euo pipefail

url=${1:?usage: $0 DATABASE_URL (a scratch database; it gets 1.1M rows)}
root=$(cd "$(dirname "$0")/.." && pwd)
psql=(psql "$url" -X -q -v ON_ERROR_STOP=1)

if [[ $("${psql[@]}" -At -c "SELECT to_regclass('offload.jobs') IS NULL") == t ]]; then
    for file in "$root"/Migrations/*.sql; do
        "${psql[@]}" --single-transaction -c 'SET client_min_messages = warning' -f "$file"
    done
fi

"${psql[@]}" <<'SQL'
SET client_min_messages = warning;
TRUNCATE offload.jobs, offload.workers;

-- 1,000,000 completed jobs, finished evenly over the last three days.
INSERT INTO offload.jobs (queue, function, args, state, run_at, attempt, attempted_at, finished_at, created_at, worker_id)
SELECT
    (ARRAY['default', 'mail', 'reports'])[1 + i % 3],
    (ARRAY['backfill-user-data', 'send-welcome-email', 'resize-image', 'nightly-report'])[1 + i % 4],
    jsonb_build_object('userId', i),
    'completed',
    t - interval '2 seconds',
    1,
    t - interval '1 second',
    t,
    t - interval '2 seconds',
    'worker-' || (i % 8)
FROM generate_series(1, 1000000) AS i,
     LATERAL (SELECT now() - (i * interval '259 milliseconds')) AS ts(t);

-- 100,000 jobs scheduled over the next week.
INSERT INTO offload.jobs (queue, function, args, run_at)
SELECT
    (ARRAY['default', 'mail'])[1 + i % 2],
    'send-reminder',
    jsonb_build_object('userId', i),
    now() + i * interval '6 seconds'
FROM generate_series(1, 100000) AS i;

-- 5,000 jobs due now, waiting over the last ten minutes.
INSERT INTO offload.jobs (queue, function, args, run_at, priority)
SELECT
    (ARRAY['default', 'mail', 'reports'])[1 + i % 3],
    (ARRAY['backfill-user-data', 'send-welcome-email'])[1 + i % 2],
    jsonb_build_object('userId', i),
    now() - i * interval '120 milliseconds',
    (i % 3) - 1
FROM generate_series(1, 5000) AS i;

-- 2,000 retryable jobs (half due, half backing off), 3,000 dead, 300 cancelled.
INSERT INTO offload.jobs (queue, function, args, state, run_at, attempt, max_attempts, errors, attempted_at, finished_at)
SELECT
    'default',
    'backfill-user-data',
    jsonb_build_object('userId', i),
    s.state,
    now() + CASE WHEN i % 2 = 0 THEN interval '5 minutes' ELSE -interval '5 seconds' END,
    3,
    CASE WHEN s.state = 'dead' THEN 3 ELSE 5 END,
    jsonb_build_array(jsonb_build_object(
        'at', now() - i * interval '10 seconds',
        'attempt', 3,
        'message', 'connection refused (user ' || i || ')',
        'type', 'NetworkError',
        'worker', 'worker-1'
    )),
    now() - i * interval '10 seconds',
    CASE WHEN s.state IN ('dead', 'cancelled') THEN now() - i * interval '10 seconds' END
FROM generate_series(1, 5300) AS i,
     LATERAL (
        SELECT CASE
            WHEN i <= 2000 THEN 'retryable'
            WHEN i <= 5000 THEN 'dead'
            ELSE 'cancelled'
        END::offload.job_state
     ) AS s(state);

-- 8 live workers (one stale) running 25 jobs each.
INSERT INTO offload.workers (id, hostname, pid, queues, concurrency, heartbeat_at)
SELECT 'worker-' || w, 'host-' || (w % 2), 1000 + w, ARRAY['default', 'mail'], 50,
       now() - CASE WHEN w = 7 THEN interval '5 minutes' ELSE w * interval '1 second' END
FROM generate_series(0, 7) AS w;

INSERT INTO offload.jobs (queue, function, args, state, attempt, attempted_at, worker_id, lease_until)
SELECT 'default', 'resize-image', jsonb_build_object('imageId', i), 'running', 1, now(),
       'worker-' || (i % 8), now() + interval '30 seconds'
FROM generate_series(1, 200) AS i;

ANALYZE offload.jobs;
ANALYZE offload.workers;
SQL

explain() {
    echo
    echo "### $1"
    echo
    echo '```'
    "${psql[@]}" -At -c "EXPLAIN (ANALYZE, BUFFERS) $2"
    echo '```'
}

"${psql[@]}" -At -c "SELECT state, count(*) FROM offload.jobs GROUP BY state ORDER BY state" | sed 's/^/    /'
# Warm the cache once, so the timings below are those of a server in use.
for view in queue_stats failures live_workers throughput; do
    "${psql[@]}" -c "SELECT * FROM offload.$view" >/dev/null
done
explain "offload.queue_stats" "SELECT * FROM offload.queue_stats"
explain "offload.failures (first page)" "SELECT * FROM offload.failures LIMIT 50"
explain "offload.live_workers" "SELECT * FROM offload.live_workers"
explain "offload.throughput" "SELECT * FROM offload.throughput"
# The claim query as the worker runs it (JobSQL.claimAvailable), rolled back.
"${psql[@]}" -At <<'SQL' | sed -n '/^Update/,$p' | { echo; echo '### claim (JobSQL.claimAvailable, 10 jobs, rolled back)'; echo; echo '```'; cat; echo '```'; }
BEGIN;
EXPLAIN (ANALYZE, BUFFERS)
UPDATE offload.jobs AS j
SET state = 'running',
    attempt = j.attempt + 1,
    worker_id = 'worker-x',
    attempted_at = now(),
    lease_until = now() + interval '30 seconds'
FROM (
    SELECT id
    FROM offload.jobs
    WHERE state IN ('available', 'retryable')
      AND queue = 'default'
      AND run_at <= now()
    ORDER BY priority, run_at, id
    LIMIT 10
    FOR UPDATE SKIP LOCKED
) AS claimable
WHERE j.id = claimable.id
RETURNING j.id;
ROLLBACK;
SQL
