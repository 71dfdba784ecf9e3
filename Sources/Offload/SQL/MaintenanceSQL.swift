import PGClient

/// Statements the elected maintenance worker runs.
enum MaintenanceSQL {
    /// The advisory-lock key that elects the maintenance worker (any constant unique to Offload).
    static let leaderLockKey: Int64 = 0x6f66_666c_6f61_6401  // "offlad\x01"

    /// Binds: key. Returns: `acquired`.
    static func tryLead() -> Query {
        "SELECT pg_try_advisory_lock(\(leaderLockKey)) AS acquired"
    }

    /// Running jobs whose lease ran out and whose worker no longer runs them go back to `retryable`
    /// now, or to `dead` when that was their last attempt, or to `cancelled` when a cancel was
    /// requested. Each gets an error entry saying what happened.
    ///
    /// An expired lease alone is not enough (migration 7): a live worker whose renewals are held up (a
    /// lock on the jobs table, a loaded machine) keeps its jobs. A job is taken back when its worker
    ///   - has no row (it stopped, or was forgotten as stale),
    ///   - has been silent for a whole lease (`heartbeat_at`: dead, frozen, or cut off), or
    ///   - is alive and has renewed its other jobs for a whole lease past this job's expiry without
    ///     renewing this one (`leases_renewed_at`): it does not know it holds the job, e.g. the reply
    ///     to its claim was lost. The extra lease covers a renewal that skipped the row because
    ///     someone held its lock for a moment.
    /// A worker row written by a version before migration 7 has no lease of its own: the rescuer's
    /// `leaseSeconds` stands in.
    ///
    /// Nothing is rescued until `graceAfterServerStart` seconds after PostgreSQL started (maintenance
    /// passes the lease): no worker could renew a lease or prove itself alive while the server was
    /// down, and right after a restart the leader reconnects before the workers do (found by the chaos
    /// run when a restart took longer than the lease).
    ///
    /// Binds: lease seconds, grace seconds. Returns: `id`, `state`, `queue` of each rescued job.
    static func rescueExpired(leaseSeconds: Double, graceAfterServerStart: Double) -> Query {
        """
        WITH expired AS (
            SELECT j.id
            FROM offload.jobs AS j
            LEFT JOIN offload.workers AS w ON w.id = j.worker_id
            WHERE j.state = 'running'
              AND j.lease_until < now()
              AND now() > pg_postmaster_start_time() + make_interval(secs => \(graceAfterServerStart)::float8)
              AND (
                  w.id IS NULL
                  OR w.heartbeat_at < now() - make_interval(secs => coalesce(w.lease_seconds, \(leaseSeconds)::float8))
                  OR w.leases_renewed_at > j.lease_until + make_interval(secs => coalesce(w.lease_seconds, \(leaseSeconds)::float8))
              )
            ORDER BY j.lease_until
            LIMIT 10000
            FOR UPDATE OF j SKIP LOCKED
        ),
        rescued AS (
            UPDATE offload.jobs AS j
            SET state = CASE
                    WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
                    WHEN j.attempt >= j.max_attempts THEN 'dead'
                    ELSE 'retryable'
                END::offload.job_state,
                run_at = offload.claimable_now(),  -- keeps the claim floors valid (migration 11)
                finished_at = CASE
                    WHEN j.cancel_requested_at IS NOT NULL OR j.attempt >= j.max_attempts THEN now()
                END,
                lease_until = NULL,
                errors = j.errors || jsonb_build_array(jsonb_build_object(
                    'at', now(),
                    'attempt', j.attempt,
                    'message', 'worker ' || coalesce(j.worker_id, '?') || ' stopped renewing its lease; job rescued',
                    'type', 'LeaseExpired',
                    'worker', j.worker_id
                ))
            FROM expired
            WHERE j.id = expired.id
            RETURNING j.id, j.state, j.queue
        )
        SELECT id, state, queue
        FROM rescued
        """
    }

    /// Deletes jobs in `states` that finished more than `retentionSeconds` ago, a bounded batch at a
    /// time. One state set per statement keeps it an index range scan on `jobs_finished_idx` (an `OR`
    /// of two state sets made the planner scan the whole table).
    ///
    /// Binds: states, retention seconds, batch size. Returns: the affected row count.
    static func pruneFinished(states: [JobState], retentionSeconds: Double, batchSize: Int) -> Query {
        """
        DELETE FROM offload.jobs
        WHERE id IN (
            SELECT id
            FROM offload.jobs
            WHERE state = ANY(\(states)::offload.job_state[])
              AND finished_at < now() - make_interval(secs => \(retentionSeconds)::float8)
            ORDER BY state, finished_at
            LIMIT \(batchSize)
        )
        """
    }

    /// Deletes events older than the retention whose jobs are all finished (or gone), a bounded batch at
    /// a time. Jobs keep a copy of the event's data, so a pruned event never stops a job from running.
    ///
    /// Binds: retention seconds, batch size. Returns: the affected row count.
    static func pruneEvents(retentionSeconds: Double, batchSize: Int) -> Query {
        """
        DELETE FROM offload.events
        WHERE id IN (
            SELECT e.id
            FROM offload.events AS e
            WHERE e.received_at < now() - make_interval(secs => \(retentionSeconds)::float8)
              AND NOT EXISTS (
                  SELECT 1
                  FROM offload.jobs AS j
                  WHERE j.event_id = e.id
                    AND j.state IN ('available', 'running', 'retryable')
              )
            LIMIT \(batchSize)
        )
        """
    }

    /// Wakes the workers of `queues`. Binds: queue names.
    static func notify(queues: [String]) -> Query {
        """
        SELECT pg_notify('offload_jobs', queue)
        FROM unnest(\(queues)::text[]) AS queue
        """
    }

    /// Removes worker rows that stopped heart-beating long ago (their process is gone).
    static func forgetStaleWorkers() -> Query {
        """
        DELETE FROM offload.workers
        WHERE heartbeat_at < now() - interval '10 minutes'
        """
    }

    /// The server's clock now, as text (a `Date` would round the microseconds a floor is compared on).
    /// Read in a statement of its own, before the snapshot of `transactionHorizon` is taken.
    /// Returns: `at`.
    static func clockNow() -> Query {
        "SELECT clock_timestamp()::text AS at"
    }

    /// The oldest xid among the transactions that hold a write lock on `offload.jobs` (NULL: none),
    /// and an xid of this session's own, taken after the `clockNow` read before this statement: every
    /// xid above it is newer still. Writers are read from pg_locks: a relation lock of ROW EXCLUSIVE
    /// or stronger, joined to the same transaction's lock on its own xid. pg_locks shows xids in 32
    /// bits; each becomes a 64-bit txid by its signed distance from this session's own, which is no
    /// more than 2^31 for any xid still running.
    /// (A snapshot's xmax is no mark of the xids handed out: one still running can be above it.)
    /// Returns: `oldest_writer`, `xid`.
    static func transactionHorizon() -> Query {
        """
        WITH own AS (
            SELECT txid_current() AS xid
        ),
        writers AS (
            SELECT DISTINCT x.transactionid::text::bigint AS xid32
            FROM pg_locks AS l
            JOIN pg_locks AS x
                ON x.virtualtransaction = l.virtualtransaction
               AND x.locktype = 'transactionid'
               AND x.mode = 'ExclusiveLock'
               AND x.granted
            WHERE l.locktype = 'relation'
              AND l.relation = 'offload.jobs'::regclass
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
              AND l.granted
        )
        SELECT (
                   SELECT min(own.xid + ((w.xid32 - own.xid % 4294967296 + 6442450944) % 4294967296 - 2147483648))
                   FROM writers AS w
               ) AS oldest_writer,
               own.xid
        FROM own
        """
    }

    /// Raises the claim floors to at most `bound` (migration 11); `thorough` also lowers floors that a
    /// row written by hand went below, and adds missing floor rows. Returns: `changed`.
    static func advanceClaimFloors(bound: String, thorough: Bool) -> Query {
        "SELECT offload.advance_claim_floors(\(bound)::timestamptz, \(thorough)) AS changed"
    }
}
