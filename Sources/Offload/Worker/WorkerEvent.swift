/// Something a worker did, reported to an observer for tests to wait on (OffloadTestKit's
/// `WorkerEvents`) instead of sleeping. A worker without an observer builds none of these.
///
/// Events come from the worker's several tasks (the claim loop, the listener, each job's task, the
/// outcome writer), so only events of one task arrive in the order they happened; across tasks, an
/// event is reported after what caused it (a notification before the claim it wakes, a job's start
/// before its outcome is written).
public enum WorkerEvent: Sendable, Hashable, CustomStringConvertible {
    /// The worker checked the schema, registered its functions and its `offload.workers` row, and
    /// begins to claim.
    case started
    /// The listener's connection is up: from now on a `NOTIFY` for the worker's queues wakes it.
    case listening
    /// A `NOTIFY` for one of the worker's queues arrived; the claim loop will look for work.
    case wokeByNotification(queue: String)
    /// One pass of the claim loop claimed `count` jobs over all its queues (0 when none waited). It
    /// comes after the `jobStarted` of each job of the claim that the worker started.
    case claimed(count: Int)
    /// A claim came up short: the claim loop waits for a notification or the poll.
    case idle
    /// An attempt of a claimed job began: the worker gave it a slot and a task, which calls its
    /// function next (when it is registered). Not reported for a job handed back unstarted.
    case jobStarted(id: Int64, function: String, attempt: Int)
    /// An attempt's outcome is recorded in the database (committed): `state` is what the worker wrote
    /// (`available` for a job handed back at shutdown).
    case jobFinished(id: Int64, attempt: Int, state: JobState)
    /// A maintenance pass (rescue, pruning) ran to its end in this worker, the elected one; it put
    /// `rescued` jobs whose lease had expired back in line (or to `dead`).
    case maintenanceRan(rescued: Int)
    /// The worker stopped after a graceful shutdown or a cancellation: every outcome it could write
    /// is written and its row is gone; `run()` returns next. (A `run()` that fails to start throws
    /// instead, without this event.)
    case stopped

    public var description: String {
        switch self {
        case .started: "started"
        case .listening: "listening"
        case .wokeByNotification(let queue): "wokeByNotification(queue: \(queue))"
        case .claimed(let count): "claimed(\(count))"
        case .idle: "idle"
        case .jobStarted(let id, let function, let attempt):
            "jobStarted(id: \(id), function: \(function), attempt: \(attempt))"
        case .jobFinished(let id, let attempt, let state):
            "jobFinished(id: \(id), attempt: \(attempt), state: \(state.rawValue))"
        case .maintenanceRan(let rescued): "maintenanceRan(rescued: \(rescued))"
        case .stopped: "stopped"
        }
    }
}

/// What a worker calls with each `WorkerEvent` (see `Worker.init(pool:functions:configuration:logger:observer:)`).
package typealias WorkerObserver = @Sendable (WorkerEvent) -> Void
