import PGClient

/// Statements the elected maintenance worker runs.
enum MaintenanceSQL {
    /// The advisory-lock key that elects the maintenance worker (any constant unique to Offload).
    static let leaderLockKey: Int64 = 0x6f66_666c_6f61_6401  // "offlad\x01"

    /// Binds: key. Returns: `acquired`.
    static func tryLead() -> Query {
        "SELECT pg_try_advisory_lock(\(leaderLockKey)) AS acquired"
    }

    /// Jobs whose worker stopped heart-beating (lease expired) go back to `retryable` now, or to `dead`
    /// when that was their last attempt, or to `cancelled` when a cancel was requested. Each gets an
    /// error entry saying what happened.
    ///
    /// Nothing is rescued until `graceAfterServerStart` seconds after PostgreSQL started: no worker
    /// could renew a lease while the server was down, and right after a restart the leader reconnects
    /// before the workers do, so without the grace it took live workers' jobs whose leases merely ran
    /// out during the outage (found by the chaos run when a restart took longer than the lease). With
    /// the lease duration as the grace, every live worker has had a full lease to renew.
    ///
    /// Binds: grace seconds. Returns: `id`, `state`, `queue` of each rescued job.
    static func rescueExpired(graceAfterServerStart: Double) -> Query {
        """
        WITH expired AS (
            SELECT id
            FROM offload.jobs
            WHERE state = 'running'
              AND lease_until < now()
              AND now() > pg_postmaster_start_time() + make_interval(secs => \(graceAfterServerStart)::float8)
            ORDER BY lease_until
            LIMIT 10000
            FOR UPDATE SKIP LOCKED
        ),
        rescued AS (
            UPDATE offload.jobs AS j
            SET state = CASE
                    WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
                    WHEN j.attempt >= j.max_attempts THEN 'dead'
                    ELSE 'retryable'
                END::offload.job_state,
                run_at = now(),
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
}
