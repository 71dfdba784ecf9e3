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
///
/// Entries are keyed by job id but belong to one attempt: a task that outlived its attempt (abandoned,
/// see `abandonStuck`) must not remove or read the entry of a later attempt of the same job.
///
/// Deadlines and the cancellation grace are measured on `clock` (the worker's `ContinuousClock`; a
/// manual clock in tests, which then check timeouts to the nanosecond without waiting).
final class RunningJobs<C: Clock>: Sendable where C.Duration == Duration {
    private struct Entry {
        var job: ClaimedJob
        var deadline: C.Instant
        var task: Task<Void, Never>?
        var stopReason: StopReason?
        var stoppedAt: C.Instant?
        var timeout: Duration
    }

    private struct Key: Hashable {
        let jobID: Int64
        let attempt: Int
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        /// Attempts given up on while their task still ran; their late outcome is not recorded.
        var abandoned: Set<Key> = []
    }

    private let state = Mutex(State())
    let clock: C

    init(clock: C) {
        self.clock = clock
    }

    var count: Int { state.withLock { $0.entries.count } }

    var ids: [Int64] { state.withLock { Array($0.entries.keys) } }

    /// Whether this very attempt of `job` runs here already.
    func contains(_ job: ClaimedJob) -> Bool {
        state.withLock { $0.entries[job.id]?.job.attempt == job.attempt }
    }

    /// Records a job before its task starts, so a fast job can't finish before it is known.
    func insert(_ job: ClaimedJob, timeout: Duration) {
        let now = clock.now
        state.withLock {
            $0.entries[job.id] = Entry(job: job, deadline: now.advanced(by: timeout), task: nil, stopReason: nil, stoppedAt: nil, timeout: timeout)
        }
    }

    /// Attaches the job's task; cancels it at once if a stop was requested in between.
    func attach(_ task: Task<Void, Never>, to jobID: Int64) {
        let cancelNow = state.withLock { state -> Bool in
            guard state.entries[jobID] != nil else { return false }
            state.entries[jobID]?.task = task
            return state.entries[jobID]?.stopReason != nil
        }
        if cancelNow { task.cancel() }
    }

    /// Forgets the attempt once its task is done (only that attempt's entry). Returns false when the
    /// attempt was not listed any more (it was abandoned), so its slot was freed already.
    @discardableResult
    func remove(_ jobID: Int64, attempt: Int) -> Bool {
        state.withLock { state in
            state.abandoned.remove(Key(jobID: jobID, attempt: attempt))
            guard state.entries[jobID]?.job.attempt == attempt else { return false }
            state.entries.removeValue(forKey: jobID)
            return true
        }
    }

    func stopReason(of jobID: Int64, attempt: Int) -> StopReason? {
        state.withLock { state in
            guard let entry = state.entries[jobID], entry.job.attempt == attempt else { return nil }
            return entry.stopReason
        }
    }

    /// Whether the worker gave up on this attempt (its outcome was recorded already).
    func isAbandoned(_ jobID: Int64, attempt: Int) -> Bool {
        state.withLock { $0.abandoned.contains(Key(jobID: jobID, attempt: attempt)) }
    }

    /// Cancels a job's task, remembering why (the first reason wins).
    func stop(_ jobID: Int64, because reason: StopReason) {
        stop(jobID, because: reason, now: clock.now)
    }

    private func stop(_ jobID: Int64, because reason: StopReason, now: C.Instant) {
        let task = state.withLock { state -> Task<Void, Never>? in
            guard state.entries[jobID] != nil, state.entries[jobID]?.stopReason == nil else { return nil }
            state.entries[jobID]?.stopReason = reason
            state.entries[jobID]?.stoppedAt = now
            return state.entries[jobID]?.task
        }
        task?.cancel()
    }

    /// Cancels every job whose deadline has passed.
    func stopOverdue() {
        let now = clock.now
        let overdue = state.withLock { state in
            state.entries.filter { $0.value.deadline <= now && $0.value.stopReason == nil }.map { ($0.key, $0.value.timeout) }
        }
        for (jobID, timeout) in overdue { stop(jobID, because: .timeout(timeout), now: now) }
    }

    /// Cancels every job (shutdown deadline passed).
    func stopAll() {
        let now = clock.now
        for jobID in ids { stop(jobID, because: .shutdown, now: now) }
    }

    /// Gives up on jobs whose task was cancelled more than `grace` ago and still has not returned (a
    /// handler that ignores cancellation): they leave this list, freeing their slot and ending their
    /// lease renewal, and are returned with the reason they were stopped, for the worker to record.
    /// Without this such a handler held its job `running`, and its worker's shutdown, forever.
    func abandonStuck(grace: Duration) -> [(job: ClaimedJob, reason: StopReason)] {
        let now = clock.now
        return state.withLock { state in
            let stuck = state.entries.values.filter { entry in
                guard let stoppedAt = entry.stoppedAt, entry.stopReason != nil else { return false }
                return stoppedAt.duration(to: now) >= grace
            }
            for entry in stuck {
                state.entries.removeValue(forKey: entry.job.id)
                state.abandoned.insert(Key(jobID: entry.job.id, attempt: entry.job.attempt))
            }
            return stuck.compactMap { entry in entry.stopReason.map { (entry.job, $0) } }
        }
    }
}
