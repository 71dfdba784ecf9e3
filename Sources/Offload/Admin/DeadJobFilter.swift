import Foundation

/// Which dead jobs `Offload.retryDeadJobs(_:toQueue:dryRun:)` re-runs: every condition set must hold.
public struct DeadJobFilter: Sendable, Equatable {
    /// Jobs of this function. Defaults to nil: any function.
    public var function: String?
    /// Jobs on this queue. Defaults to nil: any queue.
    public var queue: String?
    /// Jobs that died at or after this moment. Defaults to nil: whenever.
    public var diedSince: TimePoint?

    /// Creates a filter; nil means "any".
    public init(function: String? = nil, queue: String? = nil, diedSince: TimePoint? = nil) {
        self.function = function
        self.queue = queue
        self.diedSince = diedSince
    }
}

/// A moment, given as a date or as a span before the database's "now" (so a client with a skewed
/// clock still means what it says).
public enum TimePoint: Sendable, Equatable {
    /// This date.
    case date(Date)
    /// This long before the database's `now()`.
    case ago(Duration)

    /// The date, or nil for `.ago`: one of the two binds of `coalesce($date, now() - $seconds)`.
    var date: Date? {
        if case .date(let date) = self { return date }
        return nil
    }

    /// The span in seconds, or nil for `.date`.
    var secondsAgo: Double? {
        if case .ago(let duration) = self { return duration.seconds }
        return nil
    }
}
