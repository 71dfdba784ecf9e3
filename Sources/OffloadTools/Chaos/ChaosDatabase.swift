import Foundation
import Logging
import Offload
import PGClient

/// The database a chaos run works in: created fresh on the server, migrated, with the invocation
/// table and a record of which worker id had which pid; dropped afterwards.
struct ChaosDatabase: Sendable {
    /// The server (`DATABASE_URL` or the local cluster).
    let server: ConnectionConfiguration
    /// The run's own database on it.
    let name: String

    /// What the workers connect with (application_name `offload`, the default).
    var workerConfiguration: ConnectionConfiguration { server.withDatabase(name) }

    /// What the run itself connects with: another application_name, so that terminating "every worker
    /// connection" spares the run's own.
    var runnerConfiguration: ConnectionConfiguration {
        var configuration = server.withDatabase(name)
        configuration.applicationName = Self.runnerApplicationName
        return configuration
    }

    static let runnerApplicationName = "offload-chaos"

    /// Creates and prepares a new database on `server`.
    static func create(on server: ConnectionConfiguration, logger: Logger) async throws -> ChaosDatabase {
        let name = "offload_chaos_\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let admin = try await Connection.connect(server)
        try await admin.execute(Query(unsafeSQL: "CREATE DATABASE \(try await admin.quoteIdentifier(name))"))
        let database = ChaosDatabase(server: server, name: name)
        try await Migrator(logger: logger).migrate(database.runnerConfiguration)
        let connection = try await Connection.connect(database.runnerConfiguration)
        try await connection.executeUnsafeScript(ChaosSQL.prepare)
        return database
    }

    /// Drops the database, disconnecting whoever is still connected.
    func drop() async throws {
        let admin = try await Connection.connect(server)
        try await admin.execute(
            Query(unsafeSQL: "DROP DATABASE IF EXISTS \(try await admin.quoteIdentifier(name)) WITH (FORCE)"))
    }
}

/// The statements of a chaos run.
enum ChaosSQL {
    /// The fixture's invocation table (created here too, so the run can read it before any worker
    /// started), and `offload_chaos_workers`, filled by a trigger, which maps each worker id to its pid
    /// for as long as the run needs it (a cleanly stopped worker deletes its `offload.workers` row).
    static let prepare = """
        CREATE TABLE IF NOT EXISTS offload_fixture_invocations (
            job_id bigint NOT NULL,
            attempt integer NOT NULL,
            pid integer NOT NULL,
            at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE offload_chaos_workers (
            id text PRIMARY KEY,
            pid integer NOT NULL,
            registered_at timestamptz NOT NULL DEFAULT now()
        );
        -- The workers' sessions pin their search path to pg_catalog: a trigger on Offload's tables
        -- brings its own.
        CREATE FUNCTION offload_chaos_remember_worker() RETURNS trigger LANGUAGE plpgsql
        SET search_path = public, pg_temp AS $$
        BEGIN
            INSERT INTO offload_chaos_workers (id, pid) VALUES (NEW.id, NEW.pid) ON CONFLICT (id) DO NOTHING;
            RETURN NULL;
        END;
        $$;
        CREATE TRIGGER offload_chaos_remember_worker
            AFTER INSERT ON offload.workers
            FOR EACH ROW EXECUTE FUNCTION offload_chaos_remember_worker();
        """

    /// Binds: first and last job number. Returns: `n`, how many of them exist.
    static func countEnqueued(from first: Int, to last: Int) -> Query {
        """
        SELECT count(*) AS n
        FROM offload.jobs
        WHERE (args->>'n')::int BETWEEN \(first) AND \(last)
        """
    }

    /// Binds: pid. Returns: `id` of the worker that process registered (none if it had not yet).
    static func workerIDs(pid: Int32) -> Query {
        "SELECT id FROM offload_chaos_workers WHERE pid = \(Int(pid))"
    }

    /// Binds: worker ids. Returns: `id` of each job they hold.
    static func heldJobs(workerIDs: [String]) -> Query {
        """
        SELECT id
        FROM offload.jobs
        WHERE state = 'running'
          AND worker_id = ANY(\(workerIDs)::text[])
        """
    }

    /// Binds: pids. Returns: `n`, how many of those processes registered a worker.
    static func registered(pids: [Int32]) -> Query {
        "SELECT count(DISTINCT pid) AS n FROM offload_chaos_workers WHERE pid = ANY(\(pids.map(Int.init))::int[])"
    }

    /// Binds: job ids, worker ids. Returns: `n`, how many of the jobs those workers still hold.
    static func stillHeld(jobIDs: [Int64], workerIDs: [String]) -> Query {
        """
        SELECT count(*) AS n
        FROM offload.jobs
        WHERE id = ANY(\(jobIDs)::bigint[])
          AND state = 'running'
          AND worker_id = ANY(\(workerIDs)::text[])
        """
    }

    /// Returns: `at` (the server's clock), `completed`, `runnable` (due and waiting), `unfinished`.
    static let progress: Query = """
        SELECT
            clock_timestamp() AS at,
            count(*) FILTER (WHERE state = 'completed') AS completed,
            count(*) FILTER (WHERE state IN ('available', 'retryable') AND run_at <= now()) AS runnable,
            count(*) FILTER (WHERE state IN ('available', 'running', 'retryable')) AS unfinished
        FROM offload.jobs
        """

    /// Binds: pids, a server time. Returns: `registered` (workers of those pids), `fresh` (of them,
    /// those that heart-beat after the time).
    static func heartbeats(pids: [Int32], after time: Date) -> Query {
        """
        SELECT
            count(*) AS registered,
            count(*) FILTER (WHERE w.heartbeat_at > \(time)) AS fresh
        FROM offload.workers AS w
        JOIN offload_chaos_workers AS c ON c.id = w.id
        WHERE c.pid = ANY(\(pids.map(Int.init))::int[])
        """
    }

    /// Terminates every connection of the workers (application_name `offload`) to this database.
    /// Returns: `terminated`.
    static let terminateWorkerConnections: Query = """
        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS terminated
        FROM pg_stat_activity
        WHERE datname = current_database()
          AND application_name = 'offload'
          AND pid <> pg_backend_pid()
        """

    /// Binds: pids. Returns: `n`, the `offload.workers` rows those processes left behind.
    static func workerRowsLeft(pids: [Int32]) -> Query {
        """
        SELECT count(*) AS n
        FROM offload.workers AS w
        JOIN offload_chaos_workers AS c ON c.id = w.id
        WHERE c.pid = ANY(\(pids.map(Int.init))::int[])
        """
    }

    /// Binds: pids. Returns: `n`, jobs still `running` under the workers of those processes.
    static func runningHeld(byPIDs pids: [Int32]) -> Query {
        """
        SELECT count(*) AS n
        FROM offload.jobs AS j
        JOIN offload_chaos_workers AS c ON c.id = j.worker_id
        WHERE j.state = 'running'
          AND c.pid = ANY(\(pids.map(Int.init))::int[])
        """
    }

    /// Returns per job: `id`, `n`, `state`, `always_fail`, `fail_first`, `attempt`, `invocations`.
    static let jobs: Query = """
        SELECT
            j.id,
            (j.args->>'n')::int AS n,
            j.state,
            coalesce((j.args->>'alwaysFail')::boolean, false) AS always_fail,
            coalesce((j.args->>'failFirst')::boolean, false) AS fail_first,
            j.attempt,
            (SELECT count(*) FROM offload_fixture_invocations AS i WHERE i.job_id = j.id) AS invocations
        FROM offload.jobs AS j
        ORDER BY j.id
        """

    /// Every invocation with the fate its attempt was recorded with: `Completed`, an error type
    /// (`LeaseExpired`, `Shutdown`, the handler's error type), or NULL when nothing recorded an
    /// outcome for that attempt by that process.
    ///
    /// Returns: `job_id`, `attempt`, `pid`, `fate`.
    static let invocationFates: Query = """
        WITH outcomes AS (
            SELECT j.id AS job_id, (e->>'attempt')::int AS attempt, w.pid, e->>'type' AS fate
            FROM offload.jobs AS j
            CROSS JOIN LATERAL jsonb_array_elements(j.errors) AS e
            LEFT JOIN offload_chaos_workers AS w ON w.id = e->>'worker'
            UNION ALL
            SELECT j.id, j.attempt, w.pid, 'Completed'
            FROM offload.jobs AS j
            LEFT JOIN offload_chaos_workers AS w ON w.id = j.worker_id
            WHERE j.state = 'completed'
        ),
        fates AS (
            SELECT DISTINCT ON (job_id, attempt, pid) job_id, attempt, pid, fate
            FROM outcomes
            ORDER BY job_id, attempt, pid, fate = 'Completed' DESC
        )
        SELECT i.job_id, i.attempt, i.pid, f.fate
        FROM offload_fixture_invocations AS i
        LEFT JOIN fates AS f
            ON f.job_id = i.job_id
           AND f.attempt = i.attempt
           AND f.pid = i.pid
        ORDER BY i.job_id, i.at
        """
}
