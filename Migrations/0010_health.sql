-- Offload schema, version 10: offload.health, what keeps the job tables healthy over days.
--
-- What users of other PostgreSQL queues report after days in production is rarely a slow claim on a
-- fresh table: it is dead rows piling up, because vacuum cannot keep up or something holds back the
-- xmin horizon (a forgotten BEGIN, an analytics query, a replication slot, a prepared transaction),
-- and jobs stuck with nobody to rescue them. This view checks each of those and says, in plain words,
-- what is wrong and what to do. `offload health` prints it (with the claim's latency measured now).
--
-- One row per check:
--   name     what is checked
--   status   'ok', 'warning' or 'problem'
--   value    the number the status is judged on (dead rows, seconds, slots, jobs), when there is one
--   summary  what was found, in a sentence
--   advice   what to do, when the status is not 'ok'
--
-- Other roles' sessions: without pg_read_all_stats (or superuser), PostgreSQL hides their
-- transaction start and xmin, so the oldest transaction may not be seen; the row says so.

CREATE VIEW offload.health AS
WITH
tables AS (
    SELECT
        t.relname,
        t.n_live_tup,
        t.n_dead_tup,
        greatest(t.last_autovacuum, t.last_vacuum) AS last_vacuum,
        pg_catalog.pg_relation_size(t.relid) AS table_bytes,
        pg_catalog.pg_indexes_size(t.relid) AS index_bytes
    FROM pg_catalog.pg_stat_user_tables AS t
    WHERE t.schemaname = 'offload'
      AND t.relname IN ('jobs', 'events')
),
oldest_transaction AS (
    SELECT
        a.pid,
        a.application_name,
        a.state,
        extract(epoch FROM now() - a.xact_start)::float8 AS seconds
    FROM pg_catalog.pg_stat_activity AS a
    WHERE a.datname = current_database()
      AND a.pid <> pg_catalog.pg_backend_pid()
      AND a.xact_start IS NOT NULL
      AND (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL)
    ORDER BY a.xact_start
    LIMIT 1
),
hidden_sessions AS (
    SELECT count(*) AS n
    FROM pg_catalog.pg_stat_activity AS a
    WHERE a.datname = current_database()
      AND a.pid <> pg_catalog.pg_backend_pid()
      AND a.backend_type = 'client backend'
      AND a.state IS NULL
),
oldest_slot AS (
    SELECT
        s.slot_name,
        s.active,
        greatest(pg_catalog.age(s.xmin), pg_catalog.age(s.catalog_xmin)) AS xids
    FROM pg_catalog.pg_replication_slots AS s
    WHERE s.xmin IS NOT NULL OR s.catalog_xmin IS NOT NULL
    ORDER BY xids DESC NULLS LAST
    LIMIT 1
),
oldest_prepared AS (
    SELECT
        p.gid,
        extract(epoch FROM now() - p.prepared)::float8 AS seconds
    FROM pg_catalog.pg_prepared_xacts AS p
    WHERE p.database = current_database()
    ORDER BY p.prepared
    LIMIT 1
),
stuck AS (
    -- jobs_running_idx: running jobs only.
    SELECT
        count(*) AS n,
        min(j.lease_until) AS oldest_lease
    FROM offload.jobs AS j
    WHERE j.state = 'running'
      AND j.lease_until < now() - interval '1 minute'
),
maintenance AS (
    -- The leader holds the session advisory lock MaintenanceSQL.leaderLockKey (0x6f66666c6f616401):
    -- a bigint key shows in pg_locks as classid (high half) and objid (low half), objsubid 1.
    SELECT EXISTS (
        SELECT
        FROM pg_catalog.pg_locks AS l
        WHERE l.locktype = 'advisory'
          AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = current_database())
          AND l.classid = x'6f66666c'::int::oid
          AND l.objid = x'6f616401'::int::oid
          AND l.objsubid = 1
          AND l.granted
    ) AS led,
    (SELECT count(*) FROM offload.workers AS w WHERE w.heartbeat_at > now() - interval '1 minute') AS live_workers
)
SELECT
    'vacuum: offload.' || t.relname AS name,
    CASE
        WHEN t.n_dead_tup > 1000000 AND t.n_dead_tup > t.n_live_tup THEN 'problem'
        WHEN t.n_dead_tup > 100000 AND t.n_dead_tup > t.n_live_tup / 5 THEN 'warning'
        ELSE 'ok'
    END AS status,
    t.n_dead_tup::float8 AS value,
    format(
        '%s dead and %s live rows; table %s, indexes %s; last vacuumed %s',
        t.n_dead_tup, t.n_live_tup,
        pg_catalog.pg_size_pretty(t.table_bytes), pg_catalog.pg_size_pretty(t.index_bytes),
        coalesce(to_char(t.last_vacuum, 'YYYY-MM-DD HH24:MI:SS TZ'), 'never')
    ) AS summary,
    CASE
        WHEN t.n_dead_tup > 100000 AND t.n_dead_tup > t.n_live_tup / 5 THEN
            'dead rows pile up: if a transaction, slot or prepared transaction below holds back vacuum, end it; '
            || 'else make autovacuum visit offload.' || t.relname || ' more often '
            || '(ALTER TABLE offload.' || t.relname || ' SET (autovacuum_vacuum_scale_factor = 0.01))'
    END AS advice
FROM tables AS t

UNION ALL
SELECT
    'oldest transaction',
    CASE
        WHEN o.seconds > 3600 THEN 'problem'
        WHEN o.seconds > 300 THEN 'warning'
        ELSE 'ok'
    END,
    o.seconds,
    CASE
        WHEN o.pid IS NULL AND h.n > 0 THEN
            format('no transaction of yours holds back vacuum; %s sessions of other roles cannot be seen '
                   || '(grant pg_read_all_stats to see them)', h.n)
        WHEN o.pid IS NULL THEN 'no open transaction holds back vacuum'
        ELSE format(
            'a transaction open for %s (pid %s, application "%s", %s) holds back vacuum',
            pg_catalog.justify_interval(make_interval(secs => round(o.seconds))), o.pid,
            coalesce(o.application_name, ''), coalesce(o.state, 'state unknown')
        )
    END,
    CASE
        WHEN o.seconds > 300 THEN
            format('end it if nobody needs it (SELECT pg_terminate_backend(%s)); '
                   || 'idle_in_transaction_session_timeout ends forgotten ones', o.pid)
    END
FROM hidden_sessions AS h
LEFT JOIN oldest_transaction AS o ON true

UNION ALL
SELECT
    'replication slots',
    CASE
        WHEN s.xids > 100000000 THEN 'problem'
        WHEN s.xids > 10000000 OR (s.xids IS NOT NULL AND NOT s.active) THEN 'warning'
        ELSE 'ok'
    END,
    s.xids::float8,
    CASE
        WHEN s.slot_name IS NULL THEN 'no replication slot holds back vacuum'
        ELSE format('slot "%s" (%s) holds back vacuum by %s transactions',
                    s.slot_name, CASE WHEN s.active THEN 'active' ELSE 'inactive' END, s.xids)
    END,
    CASE
        WHEN s.xids > 10000000 OR (s.xids IS NOT NULL AND NOT s.active) THEN
            format('if its consumer is gone, drop it: SELECT pg_drop_replication_slot(%L)', s.slot_name)
    END
FROM (SELECT 1) AS one
LEFT JOIN oldest_slot AS s ON true

UNION ALL
SELECT
    'prepared transactions',
    CASE WHEN p.seconds > 300 THEN 'warning' ELSE 'ok' END,
    p.seconds,
    CASE
        WHEN p.gid IS NULL THEN 'no prepared transaction holds back vacuum'
        ELSE format('prepared transaction "%s" has waited %s for COMMIT PREPARED or ROLLBACK PREPARED',
                    p.gid, pg_catalog.justify_interval(make_interval(secs => round(p.seconds))))
    END,
    CASE
        WHEN p.seconds > 300 THEN format('finish it: COMMIT PREPARED %L or ROLLBACK PREPARED %L', p.gid, p.gid)
    END
FROM (SELECT 1) AS one
LEFT JOIN oldest_prepared AS p ON true

UNION ALL
SELECT
    'stuck leases',
    CASE WHEN s.n > 0 THEN 'warning' ELSE 'ok' END,
    s.n::float8,
    CASE
        WHEN s.n = 0 THEN 'no running job has outlived its lease by more than a minute'
        ELSE format('%s running jobs outlived their lease by more than a minute (oldest since %s)',
                    s.n, to_char(s.oldest_lease, 'YYYY-MM-DD HH24:MI:SS TZ'))
    END,
    CASE
        WHEN s.n > 0 THEN
            'their worker may be alive but wedged (offload.live_workers): restart it and they are rescued; '
            || 'or no worker runs maintenance (below)'
    END
FROM stuck AS s

UNION ALL
SELECT
    'maintenance',
    CASE WHEN NOT m.led AND m.live_workers > 0 THEN 'warning' ELSE 'ok' END,
    m.live_workers::float8,
    CASE
        WHEN m.led THEN 'a worker runs maintenance (rescue, pruning)'
        WHEN m.live_workers = 0 THEN 'no live worker, so nothing runs maintenance'
        ELSE format('%s live workers, but none runs maintenance', m.live_workers)
    END,
    CASE
        WHEN NOT m.led AND m.live_workers > 0 THEN
            'dead workers'' jobs are not rescued and finished jobs are not pruned: '
            || 'start a worker with maintenance enabled'
    END
FROM maintenance AS m

UNION ALL
SELECT
    'storage',
    'ok',
    NULL,
    'finished jobs stay in offload.jobs until maintenance deletes them after their retention, '
    || 'batch after batch (offload.jobs is not partitioned)',
    NULL;

COMMENT ON VIEW offload.health IS
    'One row per health check of the job tables: vacuum, what holds back the xmin horizon, stuck leases, maintenance.';
