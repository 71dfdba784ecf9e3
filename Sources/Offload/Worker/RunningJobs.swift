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
/// Entries are keyed by job id *and* attempt. Two attempts of one job can run here at once: a job
/// rescued from this worker (its lease lapsed while its handler still ran) may be claimed again by
/// this same worker. Each attempt holds its own slot and frees it when its own task ends; a task that
/// outlived its attempt (abandoned, see `abandonStuck`) never touches a later attempt's entry. Keyed by
/// job id alone, the second attempt replaced the first, whose slot was then never freed and whose
/// worker's shutdown waited forever.
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

        init(jobID: Int64, attempt: Int) {
            self.jobID = jobID
            self.attempt = attempt
        }

        init(_ job: ClaimedJob) {
            self.init(jobID: job.id, attempt: job.attempt)
        }
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Attempts given up on while their task still ran; their late outcome is not recorded.
        var abandoned: Set<Key> = []
    }

    private let state = Mutex(State())
    let clock: C

    init(clock: C) {
        self.clock = clock
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// The ids of the jobs running here (each once, however many of its attempts run).
    var ids: [Int64] { state.withLock { Array(Set($0.entries.keys.map(\.jobID))) } }

    /// Whether this very attempt of `job` runs here already.
    func contains(_ job: ClaimedJob) -> Bool {
        state.withLock { $0.entries[Key(job)] != nil }
    }

    /// Records a job before its task starts, so a fast job can't finish before it is known.
    func insert(_ job: ClaimedJob, timeout: Duration) {
        let now = clock.now
        state.withLock {
            $0.entries[Key(job)] = Entry(
                job: job, deadline: now.advanced(by: timeout), task: nil, stopReason: nil, stoppedAt: nil,
                timeout: timeout)
        }
    }

    /// Attaches the job's task; cancels it at once if a stop was requested in between.
    func attach(_ task: Task<Void, Never>, to job: ClaimedJob) {
        let cancelNow = state.withLock { state -> Bool in
            guard state.entries[Key(job)] != nil else { return false }
            state.entries[Key(job)]?.task = task
            return state.entries[Key(job)]?.stopReason != nil
        }
        if cancelNow { task.cancel() }
    }

    /// Forgets the attempt once its task is done (only that attempt's entry). Returns false when the
    /// attempt was not listed any more (it was abandoned), so its slot was freed already.
    @discardableResult
    func remove(_ jobID: Int64, attempt: Int) -> Bool {
        state.withLock { state in
            let key = Key(jobID: jobID, attempt: attempt)
            state.abandoned.remove(key)
            return state.entries.removeValue(forKey: key) != nil
        }
    }

    func stopReason(of jobID: Int64, attempt: Int) -> StopReason? {
        state.withLock { state in
            state.entries[Key(jobID: jobID, attempt: attempt)]?.stopReason
        }
    }

    /// Whether the worker gave up on this attempt (its outcome was recorded already).
    func isAbandoned(_ jobID: Int64, attempt: Int) -> Bool {
        state.withLock { $0.abandoned.contains(Key(jobID: jobID, attempt: attempt)) }
    }

    /// Cancels the tasks of every attempt of a job running here, remembering why (the first reason wins).
    func stop(_ jobID: Int64, because reason: StopReason) {
        let now = clock.now
        let keys = state.withLock { $0.entries.keys.filter { $0.jobID == jobID } }
        for key in keys { stop(key, because: reason, now: now) }
    }

    private func stop(_ key: Key, because reason: StopReason, now: C.Instant) {
        let task = state.withLock { state -> Task<Void, Never>? in
            guard state.entries[key] != nil, state.entries[key]?.stopReason == nil else { return nil }
            state.entries[key]?.stopReason = reason
            state.entries[key]?.stoppedAt = now
            return state.entries[key]?.task
        }
        task?.cancel()
    }

    /// Cancels every job whose deadline has passed.
    func stopOverdue() {
        let now = clock.now
        let overdue = state.withLock { state in
            state.entries.filter { $0.value.deadline <= now && $0.value.stopReason == nil }.map {
                ($0.key, $0.value.timeout)
            }
        }
        for (key, timeout) in overdue { stop(key, because: .timeout(timeout), now: now) }
    }

    /// Cancels every job (shutdown deadline passed).
    func stopAll() {
        let now = clock.now
        let keys = state.withLock { Array($0.entries.keys) }
        for key in keys { stop(key, because: .shutdown, now: now) }
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
                state.entries.removeValue(forKey: Key(entry.job))
                state.abandoned.insert(Key(entry.job))
            }
            return stuck.compactMap { entry in entry.stopReason.map { (entry.job, $0) } }
        }
    }
}
