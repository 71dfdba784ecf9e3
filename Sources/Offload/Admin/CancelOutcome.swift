/// What `Offload.cancelJobs(_:)` did with one job.
public enum CancelOutcome: Sendable, Equatable {
    /// The job was waiting and is `cancelled` now.
    case cancelled
    /// The job is running: its worker was asked to stop it and records `cancelled` (or the outcome, if
    /// the function finished first) within a heartbeat.
    case cancelRequested
    /// The job had already finished in this state; nothing changed.
    case alreadyFinished(JobState)
    /// There is no job with that id.
    case notFound
}

/// One job's cancellation.
public struct JobCancellation: Sendable, Equatable {
    /// The job id.
    public var jobID: Int64
    /// What happened.
    public var outcome: CancelOutcome

    /// Creates a record.
    public init(jobID: Int64, outcome: CancelOutcome) {
        self.jobID = jobID
        self.outcome = outcome
    }
}
