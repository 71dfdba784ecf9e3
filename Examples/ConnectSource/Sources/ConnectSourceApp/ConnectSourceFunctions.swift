import Offload
import PGClient

/// The two functions subscribed to `api/source.connected`.
///
/// Both finish with `context.transaction { }`: their writes and the job's completion commit together,
/// so a job is never completed without its rows, nor its rows written by an attempt that then fails.
/// The writes are idempotent as well (`ON CONFLICT DO NOTHING`), because delivery is at-least-once:
/// a worker that dies after a commit but before it hears back runs nothing twice, but one that dies
/// mid-attempt leaves the job to be rescued and run again.
public enum ConnectSourceFunctions {
    /// Retries within a second or two, so a demo shows them: 0.5 s, 1 s, 2 s, 4 s (±20 %), then dead.
    public static let options = FunctionOptions(
        maxAttempts: 5,
        backoff: Backoff(initial: .milliseconds(500), multiplier: 2, maximum: .seconds(4), jitter: 0.2),
        timeout: .seconds(30)
    )

    /// Both functions. Every process that sends the event registers them (the API before it serves),
    /// so the fan-out works before any worker ran; workers also run them.
    ///
    /// - Parameter flakyEvery: every n-th source (by id) fails its first backfill attempt, to show a
    ///   retry; 0 never fails. Only workers run the handlers, so only theirs matters.
    public static func all(flakyEvery: Int = 5) -> [Function] {
        [backfillUserData(flakyEvery: flakyEvery), sendWelcomeEmail]
    }

    /// Imports the source's documents: slow (200–500 ms of "calling the source's API"), then writes
    /// them in the transaction that completes the job.
    public static func backfillUserData(flakyEvery: Int) -> Function {
        Function.on(SourceConnected.self, id: "backfill-user-data", options: options) { event, context in
            let plan = BackfillPlan(sourceId: event.sourceId, flakyEvery: flakyEvery)
            try await Task.sleep(for: plan.work)
            if plan.failsFirstAttempt, context.attempt == 1 {
                throw UpstreamError(
                    message: "the source's API answered 503 Service Unavailable "
                        + "(simulated: every \(flakyEvery)th source fails its first attempt)"
                )
            }
            try await context.transaction { tx in
                try await tx.execute(
                    """
                    INSERT INTO source_documents (source_id, position, title)
                    SELECT \(event.sourceId), n, 'Document ' || n || ' of source ' || \(event.sourceId)
                    FROM generate_series(1, \(plan.documents)) AS n
                    ON CONFLICT DO NOTHING
                    """
                )
                try await tx.execute("UPDATE sources SET backfilled_at = now() WHERE id = \(event.sourceId)")
            }
            context.logger.debug(
                "backfilled", metadata: ["source_id": "\(event.sourceId)", "documents": "\(plan.documents)"])
        }
    }

    /// Queues the welcome email: fast, one outbox row per source.
    public static let sendWelcomeEmail = Function.on(SourceConnected.self, id: "send-welcome-email", options: options) {
        event, context in
        try await context.transaction { tx in
            _ = try await tx.execute(
                """
                INSERT INTO outbox (source_id, kind, user_id, subject)
                VALUES (\(event.sourceId), 'welcome', \(event.userId), 'Your source is connected')
                ON CONFLICT DO NOTHING
                """
            )
        }
    }
}
