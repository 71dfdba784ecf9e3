import Synchronization

/// Why the worker stopped a running job's task.
enum StopReason: Sendable, Equatable {
    /// The attempt ran past its function's timeout.
    case timeout(Duration)
    /// Someone called `offload.cancel` on it.
    case cancelRequested
    /// The worker is shutting down and the drain deadline passed.
    case shutdown
}

/// The jobs this worker is running: their attempt, their task (to cancel it) and their deadline.
final class RunningJobs: Sendable {
    private struct Entry {
        var attempt: Int
        var deadline: ContinuousClock.Instant
        var task: Task<Void, Never>?
        var stopReason: StopReason?
        var timeout: Duration
    }

    private let entries = Mutex<[Int64: Entry]>([:])

    var count: Int { entries.withLock { $0.count } }

    var ids: [Int64] { entries.withLock { Array($0.keys) } }

    /// Records a job before its task starts, so a fast job can't finish before it is known.
    func insert(_ jobID: Int64, attempt: Int, timeout: Duration) {
        entries.withLock {
            $0[jobID] = Entry(attempt: attempt, deadline: .now + timeout, task: nil, stopReason: nil, timeout: timeout)
        }
    }

    /// Attaches the job's task; cancels it at once if a stop was requested in between.
    func attach(_ task: Task<Void, Never>, to jobID: Int64) {
        let cancelNow = entries.withLock { entries -> Bool in
            guard entries[jobID] != nil else { return false }
            entries[jobID]?.task = task
            return entries[jobID]?.stopReason != nil
        }
        if cancelNow { task.cancel() }
    }

    func remove(_ jobID: Int64) {
        _ = entries.withLock { $0.removeValue(forKey: jobID) }
    }

    func stopReason(of jobID: Int64) -> StopReason? {
        entries.withLock { $0[jobID]?.stopReason }
    }

    /// Cancels a job's task, remembering why (the first reason wins).
    func stop(_ jobID: Int64, because reason: StopReason) {
        let task = entries.withLock { entries -> Task<Void, Never>? in
            guard entries[jobID] != nil, entries[jobID]?.stopReason == nil else { return nil }
            entries[jobID]?.stopReason = reason
            return entries[jobID]?.task
        }
        task?.cancel()
    }

    /// Cancels every job whose deadline has passed.
    func stopOverdue(now: ContinuousClock.Instant = .now) {
        let overdue = entries.withLock { entries in
            entries.filter { $0.value.deadline <= now && $0.value.stopReason == nil }.map { ($0.key, $0.value.timeout) }
        }
        for (jobID, timeout) in overdue { stop(jobID, because: .timeout(timeout)) }
    }

    /// Cancels every job (shutdown deadline passed).
    func stopAll() {
        for jobID in ids { stop(jobID, because: .shutdown) }
    }
}
