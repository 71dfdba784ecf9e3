import Foundation
import PGClient

/// One queue and function in `offload.queue_stats`, with its recent throughput from `offload.throughput`.
public struct QueueStat: Sendable, Equatable {
    /// The queue.
    public var queue: String
    /// The function.
    public var function: String
    /// Jobs runnable now, waiting for a worker.
    public var available: Int
    /// Jobs scheduled for later.
    public var scheduled: Int
    /// Jobs backing off after a failed attempt.
    public var retryable: Int
    /// Jobs a worker is running.
    public var running: Int
    /// Jobs in the dead-letter state.
    public var dead: Int
    /// When the oldest runnable job became runnable; nil when none is waiting.
    public var oldestRunAt: Date?
    /// How long the oldest runnable job has waited, in seconds (0 when none is waiting). A lag that
    /// keeps growing means the workers don't keep up.
    public var lagSeconds: Double
    /// Jobs completed per minute, averaged over the current minute so far and the four before it.
    public var completedPerMinute: Double
    /// Jobs that died per minute, over the same window.
    public var failedPerMinute: Double

    /// Reads a row of `AdminSQL.queueStats`.
    init(row: Row) throws {
        queue = try row.decode(String.self, "queue")
        function = try row.decode(String.self, "function")
        available = try row.decode(Int.self, "available")
        scheduled = try row.decode(Int.self, "scheduled")
        retryable = try row.decode(Int.self, "retryable")
        running = try row.decode(Int.self, "running")
        dead = try row.decode(Int.self, "dead")
        oldestRunAt = try row.decode(Date?.self, "oldest_run_at")
        lagSeconds = try row.decode(Double.self, "lag_seconds")
        completedPerMinute = try row.decode(Double.self, "completed_per_minute")
        failedPerMinute = try row.decode(Double.self, "failed_per_minute")
    }
}
