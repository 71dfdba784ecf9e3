/// How a function's jobs are queued and retried.
public struct FunctionOptions: Sendable {
    /// The queue its jobs go to. Defaults to `default`.
    public var queue: String
    /// Attempts before a job is dead. Defaults to 25.
    public var maxAttempts: Int
    /// Delay between attempts. Defaults to `Backoff.exponential`.
    public var backoff: Backoff
    /// How long one attempt may run before it is cancelled and counted as failed. Defaults to 5 minutes.
    public var timeout: Duration
    /// Which thrown errors are worth retrying. Defaults to all but `JobError.nonRetryable` and
    /// `NonRetryableError`, which are never retried.
    public var isRetryable: @Sendable (any Error) -> Bool

    /// Creates options; see each property for its default.
    public init(
        queue: String = "default",
        maxAttempts: Int = 25,
        backoff: Backoff = .exponential,
        timeout: Duration = .seconds(300),
        isRetryable: @escaping @Sendable (any Error) -> Bool = { _ in true }
    ) {
        self.queue = queue
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.timeout = timeout
        self.isRetryable = isRetryable
    }
}
