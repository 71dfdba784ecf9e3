import PGClient

/// Where a job is in its life. See the README's state diagram.
public enum JobState: String, Sendable, Codable, CaseIterable, PGStringEnum {
    /// Waiting to run (possibly scheduled for later through `run_at`).
    case available
    /// Claimed by a worker and running.
    case running
    /// Failed, will run again at `run_at`.
    case retryable
    /// Finished successfully.
    case completed
    /// Failed for good: attempts exhausted or a non-retryable error. The dead-letter state.
    case dead
    /// Cancelled before it finished.
    case cancelled

    /// Whether the job will not run again unless someone retries it by hand.
    public var isFinished: Bool {
        self == .completed || self == .dead || self == .cancelled
    }
}
