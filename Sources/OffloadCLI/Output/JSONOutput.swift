import Foundation
import Offload

/// The `--json` documents, built in one place so their shapes stay what docs/cli-json.md says.
/// Shapes only ever gain fields. Times are ISO 8601 in UTC with milliseconds; durations are seconds.
enum JSONOutput {
    /// `2026-11-29T05:10:11.123Z`.
    static func time(_ date: Date) -> JSONValue {
        .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// Rates and ages to three decimals: more digits are noise (`8.23588561975971` per minute).
    static func rounded(_ value: Double) -> JSONValue {
        .double((value * 1000).rounded() / 1000)
    }

    /// A time, or null.
    static func time(_ date: Date?) -> JSONValue {
        date.map(time) ?? .null
    }

    /// Stored JSON text as a value; text that is not JSON (never, from PostgreSQL) becomes a string.
    static func embedded(_ text: String?) -> JSONValue {
        guard let text else { return .null }
        return (try? JSONParser.parse(text)) ?? .string(text)
    }

    /// A job, as `jobs show --json` prints it and `jobs list --json` prints each element.
    static func job(_ job: JobInfo) -> JSONValue {
        .fields([
            "id": .int(job.id),
            "function": .string(job.function),
            "queue": .string(job.queue),
            "state": .string(job.state.rawValue),
            "priority": .int(job.priority),
            "attempt": .int(job.attempt),
            "max_attempts": .int(job.maxAttempts),
            "arguments": embedded(job.argumentsJSON),
            "result": embedded(job.resultJSON),
            "errors": .array(job.errors.map(jobError)),
            "unique_key": .text(job.uniqueKey),
            "tags": .strings(job.tags),
            "event_id": .int(job.eventID),
            "worker_id": .text(job.workerID),
            "run_at": time(job.runAt),
            "created_at": time(job.createdAt),
            "attempted_at": time(job.attemptedAt),
            "finished_at": time(job.finishedAt),
            "lease_until": time(job.leaseUntil),
            "cancel_requested_at": time(job.cancelRequestedAt),
        ])
    }

    /// `offload health --json`: the checks, in order.
    static func health(_ checks: [HealthCheck]) -> JSONValue {
        .fields([
            "checks": .array(
                checks.map { check in
                    .fields([
                        "name": .string(check.name),
                        "status": .string(check.status.rawValue),
                        "value": check.value.map(rounded) ?? .null,
                        "summary": .string(check.summary),
                        "advice": .text(check.advice),
                    ])
                }),
            "problems": .int(checks.filter { $0.status == .problem }.count),
            "warnings": .int(checks.filter { $0.status == .warning }.count),
        ])
    }

    static func jobError(_ error: JobErrorRecord) -> JSONValue {
        .fields([
            "at": time(error.at),
            "attempt": .int(error.attempt),
            "message": .string(error.message),
            "type": .text(error.type),
            "worker": .text(error.worker),
        ])
    }

    /// `status --json`.
    static func status(_ status: StatusSnapshot) -> JSONValue {
        .fields([
            "at": time(status.at),
            "queues": .array(status.queues.map(queueStat)),
            "workers": .array(status.workers.map(worker)),
        ])
    }

    static func queueStat(_ stat: QueueStat) -> JSONValue {
        .fields([
            "queue": .string(stat.queue),
            "function": .string(stat.function),
            "available": .int(stat.available),
            "scheduled": .int(stat.scheduled),
            "running": .int(stat.running),
            "retryable": .int(stat.retryable),
            "dead": .int(stat.dead),
            "oldest_run_at": time(stat.oldestRunAt),
            "lag_seconds": rounded(stat.lagSeconds),
            "completed_per_minute": rounded(stat.completedPerMinute),
            "failed_per_minute": rounded(stat.failedPerMinute),
        ])
    }

    static func worker(_ worker: LiveWorker) -> JSONValue {
        .fields([
            "id": .string(worker.id),
            "hostname": .text(worker.hostname),
            "pid": .int(worker.pid),
            "queues": .strings(worker.queues),
            "concurrency": .int(worker.concurrency),
            "running_jobs": .int(worker.runningJobs),
            "started_at": time(worker.startedAt),
            "heartbeat_at": time(worker.heartbeatAt),
            "seconds_since_heartbeat": rounded(worker.secondsSinceHeartbeat),
        ])
    }

    /// `jobs retry --json`, for ids and for `--dead` alike.
    static func retry(dryRun: Bool, retried: [RetriedJob], notRetried: [NotRetriedJob]) -> JSONValue {
        .fields([
            "dry_run": .bool(dryRun),
            "retried": .array(
                retried.map { job in
                    .fields(["id": .int(job.id), "function": .text(job.function), "queue": .string(job.queue)])
                }),
            "not_retried": .array(
                notRetried.map { job in
                    .fields(["id": .int(job.id), "state": .text(job.state?.rawValue), "reason": .string(job.reason)])
                }),
        ])
    }

    /// A job `jobs retry` re-ran (or would): its id, function when known, and the queue it runs on now.
    struct RetriedJob {
        var id: Int64
        var function: String?
        var queue: String
    }

    /// A job `jobs retry` left alone, with its state (nil: no such job) and why.
    struct NotRetriedJob {
        var id: Int64
        var state: JobState?
        var reason: String
    }

    /// `jobs cancel --json`.
    static func cancellations(_ cancellations: [JobCancellation]) -> JSONValue {
        .array(
            cancellations.map { cancellation in
                let (outcome, state): (String, JobState?) =
                    switch cancellation.outcome {
                    case .cancelled: ("cancelled", .cancelled)
                    case .cancelRequested: ("cancel_requested", .running)
                    case .alreadyFinished(let state): ("already_finished", state)
                    case .notFound: ("not_found", nil)
                    }
                return .fields([
                    "id": .int(cancellation.jobID), "outcome": .string(outcome), "state": .text(state?.rawValue),
                ])
            })
    }
}
