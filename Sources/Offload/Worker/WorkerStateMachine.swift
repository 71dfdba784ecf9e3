/// The worker's slots and its stop, without I/O: how many jobs it may claim now, what its fetch loop
/// waits for, and how a graceful shutdown goes (stop claiming, hand back what a stopping claim
/// returns, drain until the deadline, then stop every job). Each event returns what the worker must
/// do; the worker does it after leaving its lock.
///
/// `Instant` is the worker clock's (a manual clock in tests); `Claim` is the handle of the claim
/// statement in flight, which a shutdown cancels (a `Task` in the worker, any value in tests).
struct WorkerStateMachine<Instant: InstantProtocol, Claim> where Instant.Duration == Duration {
    enum Phase: Equatable {
        /// Claiming and running jobs.
        case running
        /// Shutdown began: no more claims; the fetch loop ends.
        case stopping
        /// Waiting for running jobs until `deadline`.
        case draining(deadline: Instant)
        /// The deadline passed: every job was stopped; waiting for their handlers to return.
        case cancelling
        /// Nothing runs any more.
        case stopped
    }

    /// What the fetch loop does next.
    enum FetchAction: Equatable {
        /// Claim up to this many jobs.
        case claim(limit: Int)
        /// Every slot is busy: wait until a job finishes (it wakes the loop), a wake-up, or the poll.
        case waitForSlot(timeout: Duration)
        /// The queue came up short: wait for a notification or the poll.
        case waitForWork(timeout: Duration)
        /// The last claim failed: wait this long (or for a wake-up) before the next.
        case retry(after: Duration)
        /// Shutdown began: the loop ends.
        case stop
    }

    /// What becomes of the jobs a claim returned.
    enum ClaimedJobsAction: Equatable {
        case start
        /// Shutdown began while the claim ran: back to `available` unstarted, the attempt not counted.
        case handBack
    }

    /// What `beginShutdown` must do.
    enum ShutdownAction {
        /// Stop claiming: cancel the claim in flight, if any, and wake the fetch loop.
        case stopClaiming(cancel: Claim?)
        /// Shutdown had begun already.
        case none
    }

    /// What the drain does next.
    enum DrainAction: Equatable {
        /// Wait for a job to finish (it wakes the drain), at most `timeout`.
        case waitForJobs(timeout: Duration)
        /// The deadline passed with `running` jobs left: stop them all (they hand themselves back).
        case stopAll(running: Int)
        /// Give up on handlers that ignore cancellation past their grace, then wait for jobs.
        case abandonStuckThenWait(timeout: Duration)
        /// Nothing runs: the worker can write its last outcomes and leave.
        case done
    }

    private enum Next {
        case claimIfFree
        case waitForWork
        case retry(Duration)
    }

    let concurrency: Int
    let claimBatchSize: Int
    let pollInterval: Duration
    let shutdownDeadline: Duration
    /// The longest a drain waits before it looks at the clock and cancellation again.
    let drainCheckInterval: Duration = .milliseconds(100)
    /// How often a drain past its deadline gives up on stuck handlers.
    let abandonCheckInterval: Duration = .milliseconds(10)
    static var initialFailureBackoff: Duration { .milliseconds(100) }
    static var maximumFailureBackoff: Duration { .seconds(5) }

    private(set) var phase: Phase = .running
    /// Jobs started and not finished (nor abandoned).
    private(set) var running = 0
    private var next: Next = .claimIfFree
    private var failureBackoff = initialFailureBackoff
    /// Set while the owner waits for fewer than this many running jobs; the finish that gets there
    /// asks for a wake-up (and only that one: waking on every finish made the loop spin).
    private var slotWaiter: Int?
    private var claimInFlight: Claim?

    init(concurrency: Int, claimBatchSize: Int, pollInterval: Duration, shutdownDeadline: Duration) {
        self.concurrency = max(1, concurrency)
        self.claimBatchSize = max(1, claimBatchSize)
        self.pollInterval = pollInterval
        self.shutdownDeadline = shutdownDeadline
    }

    init(configuration: WorkerConfiguration) {
        self.init(
            concurrency: configuration.concurrency, claimBatchSize: configuration.claimBatchSize,
            pollInterval: configuration.pollInterval, shutdownDeadline: configuration.shutdownDeadline
        )
    }

    var isStopping: Bool { phase != .running }

    // MARK: - Fetching

    /// The fetch loop's next step; `cancelled` is whether its task was cancelled (a hard stop).
    mutating func nextFetchAction(cancelled: Bool) -> FetchAction {
        slotWaiter = nil
        guard phase == .running, !cancelled else { return .stop }
        switch next {
        case .waitForWork:
            // When the queue came up short, only a notification (or the poll) brings work: a finishing
            // job does not, and waking on each one made the loop claim after every job, mostly for
            // nothing (44% of a steady-state run's claims found no job).
            next = .claimIfFree
            return .waitForWork(timeout: pollInterval)
        case .retry(let delay):
            next = .claimIfFree
            return .retry(after: delay)
        case .claimIfFree:
            let free = concurrency - running
            if free > 0 { return .claim(limit: min(free, claimBatchSize)) }
            slotWaiter = concurrency
            return .waitForSlot(timeout: pollInterval)
        }
    }

    /// A claim of up to `requested` jobs returned `claimed`. A full claim means more may be waiting:
    /// the loop claims again at once if a slot is free.
    mutating func claimSucceeded(requested: Int, claimed: Int) {
        failureBackoff = Self.initialFailureBackoff
        next = claimed >= requested ? .claimIfFree : .waitForWork
    }

    /// A claim failed (connection lost, a lock timeout): retry after a backoff that doubles up to 5 s.
    mutating func claimFailed() {
        next = .retry(failureBackoff)
        failureBackoff = min(failureBackoff * 2, Self.maximumFailureBackoff)
    }

    /// A claim statement starts. Returns false when the worker is stopping: cancel it at once.
    mutating func claimStarted(_ claim: Claim, cancelled: Bool) -> Bool {
        guard phase == .running, !cancelled else { return false }
        claimInFlight = claim
        return true
    }

    /// The claim statement returned (or failed); says what to do with the jobs it claimed.
    mutating func claimEnded(cancelled: Bool) -> ClaimedJobsAction {
        claimInFlight = nil
        return phase == .running && !cancelled ? .start : .handBack
    }

    // MARK: - Slots

    /// A claimed job's task started.
    mutating func jobStarted() {
        running += 1
    }

    /// `count` jobs finished or were abandoned. Returns true when the owner waits for a slot and
    /// should be woken.
    mutating func jobsFinished(_ count: Int = 1) -> Bool {
        running = max(0, running - count)
        guard let limit = slotWaiter, running < limit else { return false }
        slotWaiter = nil
        return true
    }

    /// Whether the owner must wait for fewer than `limit` running jobs; if so, the finish that gets
    /// there asks for a wake-up. Checked and registered in one step, so no finish slips between.
    mutating func waitForSlot(below limit: Int) -> Bool {
        guard running >= limit else {
            slotWaiter = nil
            return false
        }
        slotWaiter = limit
        return true
    }

    // MARK: - Stopping

    mutating func beginShutdown() -> ShutdownAction {
        guard phase == .running else { return .none }
        phase = .stopping
        defer { claimInFlight = nil }
        return .stopClaiming(cancel: claimInFlight)
    }

    /// The fetch loop ended: running jobs get until `shutdownDeadline` from `now` (none when the
    /// worker's task was cancelled).
    mutating func beginDrain(now: Instant, cancelled: Bool) {
        switch phase {
        case .running, .stopping:
            phase = .draining(deadline: cancelled ? now : now.advanced(by: shutdownDeadline))
        case .draining, .cancelling, .stopped:
            break
        }
    }

    mutating func nextDrainAction(now: Instant, cancelled: Bool) -> DrainAction {
        slotWaiter = nil
        switch phase {
        case .draining(let deadline):
            if running == 0 {
                phase = .stopped
                return .done
            }
            if cancelled || now >= deadline {
                phase = .cancelling
                return .stopAll(running: running)
            }
            slotWaiter = 1
            return .waitForJobs(timeout: min(now.duration(to: deadline), drainCheckInterval))
        case .cancelling:
            if running == 0 {
                phase = .stopped
                return .done
            }
            slotWaiter = 1
            return .abandonStuckThenWait(timeout: abandonCheckInterval)
        case .running, .stopping, .stopped:
            phase = .stopped
            return .done
        }
    }
}
