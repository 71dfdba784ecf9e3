/// Decides what a failed attempt becomes: retried later, dead, cancelled, snoozed or handed back.
/// Pure logic, unit-tested without a database.
enum AttemptPolicy {
    static func settle(job: ClaimedJob, error: any Error, stopReason: StopReason?, options: FunctionOptions)
        -> JobOutcome.Settlement
    {
        switch stopReason {
        case .cancelRequested:
            return settlement(job, .cancelled, message: "cancelled on request while running", type: "Cancelled")
        case .shutdown:
            return settlement(
                job, .available, message: "worker shut down before the job finished; handed back", type: "Shutdown",
                refund: true
            )
        case .timeout(let limit):
            return failure(job: job, message: "timed out after \(limit)", type: "Timeout", options: options)
        case nil:
            break
        }
        switch error {
        case JobError.snooze(let delay):
            return settlement(job, .available, delay: delay.seconds, message: nil, type: nil, refund: true)
        case JobError.cancel(let reason):
            return settlement(job, .cancelled, message: reason, type: "Cancelled")
        case JobError.nonRetryable(let reason):
            return settlement(job, .dead, message: reason, type: "NonRetryable")
        case let error as NonRetryableError:
            return settlement(job, .dead, message: "\(error.underlying)", type: typeName(of: error.underlying))
        default:
            let message = "\(error)"
            let type = typeName(of: error)
            if !options.isRetryable(error) { return settlement(job, .dead, message: message, type: type) }
            return failure(job: job, message: message, type: type, options: options)
        }
    }

    /// The outcome of an attempt whose handler was stopped for `reason` but never returned: what the
    /// stop means (a timeout failure, a cancellation, a hand-back), saying that the handler was abandoned.
    static func abandoned(job: ClaimedJob, reason: StopReason, options: FunctionOptions) -> JobOutcome.Settlement {
        var settlement = settle(job: job, error: CancellationError(), stopReason: reason, options: options)
        let note = "the handler did not stop when cancelled and was abandoned (its task may still run in the worker)"
        settlement.message = settlement.message.map { "\($0); \(note)" } ?? note
        return settlement
    }

    /// A job claimed while the worker began to stop, never started: available again at once, the
    /// attempt not counted and nothing added to its errors (nothing went wrong with it).
    static func handBackUnstarted(job: ClaimedJob) -> JobOutcome.Settlement {
        settlement(job, .available, message: nil, type: nil, refund: true)
    }

    /// A failed attempt: retried after the backoff, or dead when it was the last one.
    static func failure(job: ClaimedJob, message: String, type: String, options: FunctionOptions?)
        -> JobOutcome.Settlement
    {
        if job.attempt >= job.maxAttempts {
            return settlement(job, .dead, message: message, type: type)
        }
        let backoff = options?.backoff ?? .exponential
        return settlement(
            job, .retryable, delay: backoff.delay(afterAttempt: job.attempt), message: message, type: type)
    }

    private static func settlement(
        _ job: ClaimedJob, _ state: JobState, delay: Double = 0, message: String?, type: String?, refund: Bool = false
    ) -> JobOutcome.Settlement {
        JobOutcome.Settlement(
            jobID: job.id, attempt: job.attempt, state: state, delaySeconds: delay,
            message: message.map(storable), errorType: type.map(storable), refundAttempt: refund
        )
    }

    /// Error text as PostgreSQL can store it: at most 8,000 characters, NUL shown as `\0` (text
    /// cannot hold NUL; sending it would fail the whole batch of outcomes).
    static func storable(_ text: String) -> String {
        let visible = text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "\\0") : text
        return String(visible.prefix(8_000))
    }

    private static func typeName(of error: any Error) -> String {
        // The plain type name (`FixtureFailure`), not the module-qualified one: it is for people.
        String(describing: type(of: error))
    }
}
