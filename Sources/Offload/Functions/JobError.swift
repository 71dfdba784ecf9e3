/// Errors a function throws on purpose to steer its job instead of taking the normal retry path.
public enum JobError: Error, Sendable, CustomStringConvertible {
    /// Fails the job for good (`dead`) without further attempts: retrying can't help.
    case nonRetryable(String)
    /// Cancels the job (`cancelled`): it should not run, and that is not a failure.
    case cancel(String)
    /// Puts the job back to run again after `delay`, without counting the attempt as failed.
    case snooze(Duration)

    public var description: String {
        switch self {
        case .nonRetryable(let reason): return reason
        case .cancel(let reason): return "cancelled: \(reason)"
        case .snooze(let delay): return "snoozed for \(delay)"
        }
    }
}

/// Wraps any error to mark it as not worth retrying: the job goes straight to `dead`.
public struct NonRetryableError: Error, Sendable, CustomStringConvertible {
    /// The underlying error.
    public let underlying: any Error
    /// Wraps `underlying`.
    public init(_ underlying: any Error) { self.underlying = underlying }
    public var description: String { String(describing: underlying) }
}
