import Foundation

/// How to enqueue one job. Every property defaults to what the function's registration says, or to
/// Offload's defaults when the function is not registered.
public struct JobOptions: Sendable {
    /// The queue. Defaults to the function's queue, else `default`.
    public var queue: String?
    /// Lower runs first, from -100 to 100. Defaults to 0.
    public var priority: Int
    /// When the job becomes runnable. Defaults to now; a time in the past also means now (the job
    /// queues behind those already due). Mutually exclusive with `delay`.
    public var runAt: Date?
    /// How long from now until the job becomes runnable. Defaults to none.
    public var delay: Duration?
    /// How many attempts before the job is dead. Defaults to the function's, else 25.
    public var maxAttempts: Int?
    /// While a job with this key (for the same function) is not finished, enqueueing again returns
    /// that job's id instead of inserting. Defaults to none.
    public var uniqueKey: String?
    /// Free-form labels for filtering. Defaults to none.
    public var tags: [String]

    /// Creates options; see each property for its default.
    public init(
        queue: String? = nil,
        priority: Int = 0,
        runAt: Date? = nil,
        delay: Duration? = nil,
        maxAttempts: Int? = nil,
        uniqueKey: String? = nil,
        tags: [String] = []
    ) {
        self.queue = queue
        self.priority = priority
        self.runAt = runAt
        self.delay = delay
        self.maxAttempts = maxAttempts
        self.uniqueKey = uniqueKey
        self.tags = tags
    }

    /// The delay in seconds, for SQL's `now() + make_interval(secs => …)`: the database's clock decides,
    /// so workers and apps with skewed clocks agree on "now".
    var delaySeconds: Double? {
        delay?.seconds
    }
}
