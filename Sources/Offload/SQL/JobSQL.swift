import Foundation
import PGClient

/// The worker's hot-path statements. Every write about a running job is fenced by
/// `state = 'running' AND attempt = … AND worker_id = …`, so a job rescued from this worker (lease
/// expired) can never be overwritten by its late outcome.
enum JobSQL {
    /// Claims up to `limit` runnable jobs of `queue` for `workerID`, oldest first within a priority,
    /// through `offload.claim` (migration 6): `FOR UPDATE SKIP LOCKED`, committed asynchronously.
    ///
    /// The statement is prepared, so its plan (one function scan, no choice to make) is reused; the
    /// function's own UPDATE is prepared once per session and always planned by index. Planning
    /// that UPDATE on every claim took longer than running it, and a generic plan of the bare UPDATE
    /// kept an empty table's sequential scan as the table grew (see the migration).
    ///
    /// It reads only jobs that are due (migration 9): however many wait in the future, a claim costs
    /// a probe per priority present plus the jobs it takes.
    ///
    /// Binds: queue, limit, worker id, lease seconds, and the time to claim at when given (else the
    /// server's now()).
    /// Returns: `id`, `function`, `queue`, `args`, `attempt`, `max_attempts`, `event_id`, `run_at`.
    static func claimAvailable(queue: String, limit: Int, workerID: String, leaseSeconds: Double, at: Date? = nil)
        -> Query
    {
        // Without a time, the function's default (now()) applies: the worker's statement keeps four
        // binds, which pgbench's replay of it in `offload bench` can pass (it has no NULL).
        let claim: Query =
            if let at {
                """
                SELECT id, function, queue, args, attempt, max_attempts, event_id, run_at
                FROM offload.claim(\(queue), \(limit)::int, \(workerID), \(leaseSeconds)::float8, \(at)::timestamptz)
                """
            } else {
                """
                SELECT id, function, queue, args, attempt, max_attempts, event_id, run_at
                FROM offload.claim(\(queue), \(limit)::int, \(workerID), \(leaseSeconds)::float8)
                """
            }
        return claim.prepared()
    }

    /// Marks jobs completed with their results, in one statement.
    ///
    /// Binds: ids, attempts, results (JSON or NULL), worker id. Returns: the affected row count.
    static func completeMany(_ completions: [JobOutcome.Completion], workerID: String) -> Query {
        """
        UPDATE offload.jobs AS j
        SET state = 'completed',
            result = c.result,
            finished_at = now(),
            lease_until = NULL
        FROM unnest(
            \(completions.map(\.jobID))::bigint[],
            \(completions.map(\.attempt))::int[],
            \(completions.map(\.result))::jsonb[]
        ) AS c(id, attempt, result)
        WHERE j.id = c.id
          AND j.attempt = c.attempt
          AND j.state = 'running'
          AND j.worker_id = \(workerID)
        """
    }

    /// Records failed, snoozed, cancelled or handed-back attempts, in one statement. Each row's new
    /// state is decided by the worker; errors are appended to the job's history with the server's time.
    ///
    /// Binds: ids, attempts, new states, run-again delays (seconds), error messages, error types,
    /// "refund the attempt" flags, worker id. Returns: the affected row count.
    static func recordSettlements(_ settlements: [JobOutcome.Settlement], workerID: String) -> Query {
        """
        UPDATE offload.jobs AS j
        SET state = s.state,
            attempt = CASE WHEN s.refund THEN j.attempt - 1 ELSE j.attempt END,
            run_at = CASE
                -- Never before this transaction's xid: what keeps the claim floors valid (migration 11).
                WHEN s.state IN ('available', 'retryable') THEN offload.claimable_now() + make_interval(secs => s.delay)
                ELSE j.run_at
            END,
            errors = CASE
                WHEN s.message IS NULL THEN j.errors
                ELSE j.errors || jsonb_build_array(jsonb_build_object(
                    'at', now(),
                    'attempt', s.attempt,
                    'message', s.message,
                    'type', s.type,
                    'worker', \(workerID)::text
                ))
            END,
            finished_at = CASE WHEN s.state IN ('dead', 'cancelled') THEN now() END,
            lease_until = NULL,
            cancel_requested_at = CASE WHEN s.state = 'cancelled' THEN j.cancel_requested_at END
        FROM unnest(
            \(settlements.map(\.jobID))::bigint[],
            \(settlements.map(\.attempt))::int[],
            \(settlements.map(\.state))::offload.job_state[],
            \(settlements.map(\.delaySeconds))::float8[],
            \(settlements.map(\.message))::text[],
            \(settlements.map(\.errorType))::text[],
            \(settlements.map(\.refundAttempt))::bool[]
        ) AS s(id, attempt, state, delay, message, type, refund)
        WHERE j.id = s.id
          AND j.attempt = s.attempt
          AND j.state = 'running'
          AND j.worker_id = \(workerID)
        """
    }

    /// Completes one job inside the function's own transaction (`JobContext.transaction`).
    ///
    /// This one runs on the app's connection, whose search path is the app's: every operator and
    /// function is qualified, so none resolves to one planted in a schema the app can write to (an
    /// enum's `=` is only `anyenum = anyenum` in pg_catalog, and an exact match elsewhere wins).
    ///
    /// Binds: result, id, attempt, worker id. Returns: `id` when the job was still held by this worker.
    static func completeOne(jobID: Int64, attempt: Int, result: PGJSON?, workerID: String) -> Query {
        """
        UPDATE offload.jobs
        SET state = 'completed',
            result = \(result)::jsonb,
            finished_at = pg_catalog.now(),
            lease_until = NULL
        WHERE id OPERATOR(pg_catalog.=) \(jobID)::bigint
          AND attempt OPERATOR(pg_catalog.=) \(attempt)::integer
          AND state OPERATOR(pg_catalog.=) 'running'::offload.job_state
          AND worker_id OPERATOR(pg_catalog.=) \(workerID)::text
        RETURNING id
        """
    }
}
