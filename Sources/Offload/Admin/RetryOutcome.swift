/// What `Offload.retryJob(_:toQueue:)` did with one job.
public enum RetryOutcome: Sendable, Equatable {
    /// The job is available again, on this queue, with a fresh attempt budget.
    case retried(queue: String)
    /// There is no job with that id.
    case notFound
    /// The job is waiting or running already (`available` or `running`), so there is nothing to re-run.
    case notRetryable(JobState)
}

/// The dead jobs `Offload.retryDeadJobs(_:toQueue:dryRun:)` matched, and what happened to each.
public struct DeadJobRetry: Sendable, Equatable {
    /// One matched dead job.
    public struct Job: Sendable, Equatable {
        /// The job id.
        public var id: Int64
        /// Its function.
        public var function: String
        /// The queue it was dead on.
        public var queue: String
        /// The queue it runs on now (or would, in a dry run): `toQueue` or its own.
        public var targetQueue: String
        /// False when it was left dead because another job with its function and unique key is waiting
        /// or running, or an older dead job with that key was chosen instead: two active jobs with one
        /// unique key cannot exist.
        public var retried: Bool

        /// Creates a record.
        public init(id: Int64, function: String, queue: String, targetQueue: String, retried: Bool) {
            self.id = id
            self.function = function
            self.queue = queue
            self.targetQueue = targetQueue
            self.retried = retried
        }
    }

    /// Every dead job that matched the filter, in id order.
    public var jobs: [Job]
    /// Whether this was a dry run (nothing changed).
    public var dryRun: Bool

    /// Creates a result.
    public init(jobs: [Job], dryRun: Bool) {
        self.jobs = jobs
        self.dryRun = dryRun
    }

    /// The jobs re-run (or that would be).
    public var retried: [Job] { jobs.filter(\.retried) }
    /// The jobs left dead because of a unique-key conflict.
    public var skipped: [Job] { jobs.filter { !$0.retried } }
}
