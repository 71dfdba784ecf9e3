import PGClient

/// Statements about worker processes (`offload.workers`) and the leases of their jobs.
enum WorkerSQL {
    /// Binds: id, hostname, pid, queues, concurrency, lease seconds.
    static func register(
        id: String, hostname: String, pid: Int, queues: [String], concurrency: Int, leaseSeconds: Double
    ) -> Query {
        """
        INSERT INTO offload.workers (id, hostname, pid, queues, concurrency, lease_seconds, started_at, heartbeat_at)
        VALUES (\(id), \(hostname), \(pid), \(queues)::text[], \(concurrency), \(leaseSeconds)::float8, now(), clock_timestamp())
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = clock_timestamp()
        """
    }

    /// The worker's proof of life. It touches no job on purpose: a lock on `offload.jobs` (an
    /// operator's `LOCK TABLE`, a long `ALTER`) must not keep a live worker from saying it is alive,
    /// or rescue would take its jobs (see `MaintenanceSQL.rescueExpired`). `clock_timestamp()`, not
    /// `now()`: the time of the write, not of a statement that may have waited.
    ///
    /// Binds: id. Returns: the affected row count (0 when the row was forgotten as stale).
    static func heartbeat(id: String) -> Query {
        """
        UPDATE offload.workers
        SET heartbeat_at = clock_timestamp()
        WHERE id = \(id)
        """
    }

    /// Renews the lease of every job this worker holds, records that it did (`leases_renewed_at`), and
    /// reports which of those jobs were asked to cancel.
    ///
    /// Leases start at `clock_timestamp()`: a renewal that waited for a lock still grants a full lease
    /// from when it wrote. Each new lease reads `renewal`, so the worker's row is written first and
    /// every job renewed here ends up with `lease_until > leases_renewed_at`: a running job of this
    /// worker with an older lease was not among them.
    ///
    /// Rows locked by someone else are skipped, never waited for: the only writers that lock a running
    /// job are this worker's own outcome writes (which finish it anyway), `offload.cancel` and a
    /// handler's own transaction completing its job. Waiting made the heartbeat and the batch
    /// completer, on two connections, lock the same rows in different orders and deadlock (found by
    /// the chaos run). A skipped job is renewed at the next heartbeat; rescue gives it a whole lease
    /// past its expiry before deciding its worker no longer holds it.
    ///
    /// Binds: ids, worker id, lease seconds. Returns: `id`, `cancel_requested` of each renewed job.
    static func renewLeases(jobIDs: [Int64], workerID: String, leaseSeconds: Double) -> Query {
        """
        WITH renewal AS (
            UPDATE offload.workers
            SET leases_renewed_at = clock_timestamp()
            WHERE id = \(workerID)
            RETURNING leases_renewed_at
        ),
        held AS (
            SELECT id
            FROM offload.jobs
            WHERE id = ANY(\(jobIDs)::bigint[])
              AND state = 'running'
              AND worker_id = \(workerID)
            FOR UPDATE SKIP LOCKED
        )
        UPDATE offload.jobs AS j
        SET lease_until = greatest(
                clock_timestamp(),
                (SELECT leases_renewed_at FROM renewal)
            ) + make_interval(secs => \(leaseSeconds)::float8)
        FROM held
        WHERE j.id = held.id
        RETURNING j.id, j.cancel_requested_at IS NOT NULL AS cancel_requested
        """
    }

    /// Binds: id.
    static func deregister(id: String) -> Query {
        """
        DELETE FROM offload.workers
        WHERE id = \(id)
        """
    }
}
