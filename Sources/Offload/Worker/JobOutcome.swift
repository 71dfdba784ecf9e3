import PGClient

/// What became of one attempt, as the worker writes it back.
enum JobOutcome: Sendable {
    /// The function returned; `result` is its JSON, nil for none.
    struct Completion: Sendable {
        let jobID: Int64
        let attempt: Int
        let result: PGJSON?
    }

    /// Anything but success: a failure (retry later or dead), a cancellation, a snooze, or a job handed
    /// back unstarted or interrupted by shutdown.
    struct Settlement: Sendable {
        let jobID: Int64
        let attempt: Int
        let state: JobState
        /// Seconds until it may run again (for `available`/`retryable`).
        let delaySeconds: Double
        /// Appended to the job's error history when not nil.
        var message: String?
        let errorType: String?
        /// True when the attempt should not count (snooze, shutdown hand-back).
        let refundAttempt: Bool
    }

    case completed(Completion)
    case settled(Settlement)

    var jobID: Int64 {
        switch self {
        case .completed(let completion): return completion.jobID
        case .settled(let settlement): return settlement.jobID
        }
    }

    var attempt: Int {
        switch self {
        case .completed(let completion): return completion.attempt
        case .settled(let settlement): return settlement.attempt
        }
    }

    /// The state this outcome writes.
    var state: JobState {
        switch self {
        case .completed: return .completed
        case .settled(let settlement): return settlement.state
        }
    }
}
