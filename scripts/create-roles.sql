-- Least-privilege roles for Offload (docs/security.md explains each grant).
--
-- Run it in each database that has the offload schema, after `offload migrate`, as the schema's
-- owner (the role that ran the migrations) or a superuser:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f scripts/create-roles.sql
--
-- It creates three group roles (NOLOGIN, cluster-wide, created once) and grants them what they need
-- in this database. Your login roles then join the group they need:
--
--   CREATE ROLE myapp_api    LOGIN PASSWORD '…' IN ROLE offload_enqueuer;  -- API processes
--   CREATE ROLE myapp_worker LOGIN PASSWORD '…' IN ROLE offload_worker;    -- worker processes
--   CREATE ROLE grafana      LOGIN PASSWORD '…' IN ROLE offload_monitor;   -- dashboards
--
-- Idempotent: run it again after an upgrade whose migrations add tables or functions.
-- The migrations themselves keep running as the owner, which none of these roles is.

-- Resolve every name in this script in pg_catalog only (and pg_temp last, for nothing): run as the
-- owner or a superuser, it must not call a function or operator that someone planted in a schema on
-- the session's search_path (e.g. a public.format(text, text)). Reset at the end.
SET search_path = pg_catalog, pg_temp;

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['offload_enqueuer', 'offload_worker', 'offload_monitor'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION
                -- Another session created it in the meantime: just as good.
                WHEN duplicate_object OR unique_violation THEN NULL;
            END;
        END IF;
    END LOOP;
END;
$$;

GRANT USAGE ON SCHEMA offload TO offload_enqueuer, offload_worker, offload_monitor;

-- offload_enqueuer: enqueue jobs and send events, nothing else. The three functions are SECURITY
-- DEFINER (migration 0004), so this role needs no right on any table: it cannot read, change,
-- cancel or delete a job.
GRANT EXECUTE ON FUNCTION
    offload.enqueue(text, jsonb, text, timestamptz, integer, integer, text, text[]),
    offload.enqueue_many(text[], jsonb[], text[], timestamptz[], integer[], integer[], text[]),
    offload.send(text, jsonb, text)
TO offload_enqueuer;

-- Every Offload client (the library's and the CLI's) checks the schema version before it starts; the
-- ledger holds version numbers, names and checksums of the public migrations, nothing secret.
GRANT SELECT ON offload.migrations TO offload_enqueuer, offload_monitor;

-- offload_worker: claim jobs, record outcomes, extend leases, rescue and prune (maintenance),
-- register its functions and itself, check the schema version at start-up; and enqueue, since
-- functions often enqueue follow-up jobs. No INSERT on jobs: new jobs only come through the
-- functions above.
DO $$
BEGIN
    GRANT offload_enqueuer TO offload_worker;
EXCEPTION
    -- Another session (another database's run of this script) granted it at the same moment.
    WHEN unique_violation THEN NULL;
END;
$$;
GRANT SELECT, UPDATE, DELETE ON offload.jobs TO offload_worker;
-- Claims read the floors; the maintenance leader raises them; retry to another queue adds a row.
GRANT SELECT, INSERT, UPDATE ON offload.claim_floors TO offload_worker;
GRANT SELECT, INSERT, UPDATE ON offload.functions TO offload_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON offload.workers TO offload_worker;
GRANT SELECT ON offload.migrations TO offload_worker;
-- Maintenance prunes old events whose jobs are finished (MaintenanceSQL.pruneEvents).
GRANT SELECT, DELETE ON offload.events TO offload_worker;

-- offload_monitor: the monitoring views, which read the tables with their owner's rights. Operators
-- who hold offload_worker (to cancel and retry) read them too (`offload status`, `offload health`).
GRANT SELECT ON offload.queue_stats, offload.failures, offload.live_workers, offload.throughput, offload.health
TO offload_monitor, offload_worker;

RESET search_path;
