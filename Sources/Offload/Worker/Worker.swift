import Foundation
import Logging
import PGClient
import ServiceLifecycle
import Synchronization

/// Runs registered functions for jobs: claims them in batches with `FOR UPDATE SKIP LOCKED`, runs up to
/// `concurrency` at once, records outcomes in batches, retries failures with backoff, and drains on
/// graceful shutdown. A swift-service-lifecycle `Service`: run it in a `ServiceGroup` next to an HTTP
/// server, or alone.
///
/// Any number of workers, in any number of processes, can share one database.
public final class Worker: Service {
    /// This worker's id in `offload.workers` and in jobs' `worker_id`.
    public let id: String
    /// The app's pool, lent to handlers (`JobContext.pool`, `JobContext.transaction`).
    let pool: ConnectionPool
    /// The worker's own connections, with a pinned search path and timeouts
    /// (`ownConnectionConfiguration`): one for the claim loop, one for the outcome writer, one for the
    /// heartbeat, each of which holds at most one at a time, so none of them ever waits for another
    /// or behind a handler.
    let ownPool: ConnectionPool
    let functions: [String: Function]
    let configuration: WorkerConfiguration
    let logger: Logger
    /// Measures job timeouts, the cancellation grace and the shutdown deadline.
    let clock = ContinuousClock()
    let running: RunningJobs<ContinuousClock>
    let outcomes: OutcomeWriter<ContinuousClock>
    let metrics = WorkerMetrics()
    /// Wakes the fetch loop (or the drain): a notify arrived, a slot freed up, or shutdown began.
    let wake = WakeSignal()
    /// Told what the worker does (OffloadTestKit's `WorkerEvents`); nil outside tests.
    let observer: WorkerObserver?
    typealias StateMachine = WorkerStateMachine<ContinuousClock.Instant, Task<[ClaimedJob], any Error>>
    /// Free slots, what the fetch loop waits for, and the stop. It also holds the claim statement in
    /// flight, which shutdown cancels: a claim blocked by a lock must not hold a stopping worker past
    /// its deadline.
    private let state: Mutex<StateMachine>

    /// Creates a worker for `functions` (ids must be unique).
    public convenience init(
        pool: ConnectionPool,
        functions: [Function],
        configuration: WorkerConfiguration = WorkerConfiguration(),
        logger: Logger = Logger(label: "offload.worker")
    ) {
        self.init(pool: pool, functions: functions, configuration: configuration, logger: logger, observer: nil)
    }

    /// Creates a worker that tells `observer` what it does (see `WorkerEvent`), for tests to wait on.
    /// The observer is called on the worker's tasks, so it must return quickly and never block.
    package init(
        pool: ConnectionPool,
        functions: [Function],
        configuration: WorkerConfiguration,
        logger: Logger,
        observer: WorkerObserver?
    ) {
        let id = Worker.makeID()
        self.id = id
        self.pool = pool
        self.functions = Dictionary(functions.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.configuration = configuration
        self.state = Mutex(StateMachine(configuration: configuration))
        self.running = RunningJobs(clock: clock)
        var logger = logger
        logger[metadataKey: "worker_id"] = "\(id.escapingControlCharacters)"  // from the host name
        self.logger = logger
        self.ownPool = ConnectionPool(
            Self.ownConnectionConfiguration(pool.configuration, configuration), maxConnections: 3)
        self.observer = observer
        self.outcomes = OutcomeWriter(
            pool: ownPool, workerID: id, logger: logger, clock: clock, written: observer.map(Self.reportWritten)
        )
    }

    /// Reports each written outcome to `observer` as a finished job.
    private static func reportWritten(to observer: @escaping WorkerObserver) -> OutcomeWriter<ContinuousClock>.Written {
        { written in
            for outcome in written {
                observer(.jobFinished(id: outcome.jobID, attempt: outcome.attempt, state: outcome.state))
            }
        }
    }

    /// Tells the observer, if any, about `event`; without one, the event is not even built.
    @inline(__always)
    func report(_ event: @autoclosure () -> WorkerEvent) {
        if let observer { observer(event()) }
    }

    /// Runs until graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) or task cancellation.
    ///
    /// On shutdown it stops claiming, lets running jobs finish until `shutdownDeadline`, then cancels
    /// them and hands them back (as `available`, the attempt not counted), writes every outcome, and
    /// removes its `offload.workers` row. A clean stop leaves none of its jobs `running`.
    public func run() async throws {
        // A missing or outdated schema is a clear "run `offload migrate`", not a missing-relation error.
        defer { ownPool.close() }
        try await Migrator(logger: logger).requireCurrent(ownPool.configuration)
        try await Offload(pool: ownPool, logger: logger).register(Array(functions.values))
        try await ownPool.execute(registration)
        logger.info(
            "worker started",
            metadata: [
                "queues": "\(configuration.queues)", "concurrency": "\(configuration.concurrency)",
                "functions": "\(functions.keys.sorted())",
            ]
        )
        report(.started)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                if configuration.listens { group.addTask { await self.listenForNotifications() } }
                group.addTask { await self.outcomes.run() }
                group.addTask { await self.heartbeat() }
                group.addTask { await self.enforceTimeouts() }
                group.addTask {
                    await Maintenance(
                        configuration: self.configuration.maintenance,
                        leaseDuration: self.configuration.leaseDuration,
                        connectionConfiguration: self.ownPool.configuration,
                        metrics: self.metrics,
                        logger: self.logger,
                        observer: self.observer
                    ).run()
                }
                await fetchLoop()
                await drain()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        await finish()
        report(.stopped)
    }

    /// Stops claiming new jobs; `run()` then drains and returns.
    public func beginShutdown() {
        guard case .stopClaiming(let claim) = state.withLock({ $0.beginShutdown() }) else { return }
        logger.info("shutting down: no new jobs; waiting for running ones", metadata: ["running": "\(running.count)"])
        claim?.cancel()
        wake.signal()
    }

    // MARK: - Claiming

    private func fetchLoop() async {
        var lastError: (any Error)?
        while true {
            switch state.withLock({ $0.nextFetchAction(cancelled: Task.isCancelled) }) {
            case .claim(let limit):
                do {
                    let claimed = try await claimAndStart(limit: limit)
                    state.withLock { $0.claimSucceeded(requested: limit, claimed: claimed) }
                    report(.claimed(count: claimed))
                } catch {
                    lastError = error
                    state.withLock { $0.claimFailed() }
                }
            case .waitForSlot(let timeout):
                await wake.wait(timeout: timeout)
            case .waitForWork(let timeout):
                report(.idle)
                await wake.wait(timeout: timeout)
            case .retry(let delay):
                logger.warning(
                    "claiming jobs failed; retrying",
                    metadata: [
                        "error": "\((lastError.map { String(describing: $0) } ?? "").escapingControlCharacters)",
                        "retry_in": "\(delay)",
                    ]
                )
                await wake.wait(timeout: delay)
            case .stop:
                return
            }
        }
    }

    /// Called as jobs' tasks end (or are abandoned): wakes a loop that waits for a slot.
    private func jobsFinished(_ count: Int = 1) {
        if state.withLock({ $0.jobsFinished(count) }) { wake.signal() }
    }

    /// Waits until fewer than `limit` jobs run (a slot is free), a wake-up, or `timeout`. Returns false
    /// without waiting when a slot is free already. Defaults to the worker's concurrency.
    @discardableResult
    func waitForASlot(below limit: Int? = nil, timeout: Duration) async -> Bool {
        guard state.withLock({ $0.waitForSlot(below: limit ?? configuration.concurrency) }) else { return false }
        await wake.wait(timeout: timeout)
        return true
    }

    /// Claims up to `limit` jobs from the configured queues in order, starting each queue's jobs as
    /// soon as they are claimed (so the heartbeat renews their leases from then on). Jobs claimed while
    /// shutdown began are handed back unstarted. Returns how many were claimed.
    func claimAndStart(limit: Int) async throws -> Int {
        var claimedCount = 0
        for queue in configuration.queues where claimedCount < limit {
            let (claimed, action) = try await claimCancellableByShutdown(queue: queue, limit: limit - claimedCount)
            claimedCount += claimed.count
            switch action {
            case .handBack:
                for job in claimed { outcomes.add(.settled(AttemptPolicy.handBackUnstarted(job: job))) }
            case .start:
                for job in claimed { start(job) }
            }
        }
        return claimedCount
    }

    /// One claim statement, in a task of its own that `beginShutdown` cancels (the connection then
    /// asks the server to cancel the statement). A claim that completed all the same returns its jobs,
    /// with what to do with them (hand them back if shutdown began meanwhile).
    private func claimCancellableByShutdown(
        queue: String, limit: Int
    ) async throws -> (jobs: [ClaimedJob], action: StateMachine.ClaimedJobsAction) {
        // Unstructured on purpose: beginShutdown, called from another task, must be able to cancel
        // this claim alone. It is awaited right here, so it never outlives this call.
        let task = Task { try await self.claim(queue: queue, limit: limit) }
        if !state.withLock({ $0.claimStarted(task, cancelled: Task.isCancelled) }) { task.cancel() }
        let result = await task.result
        let action = state.withLock { $0.claimEnded(cancelled: Task.isCancelled) }
        return (try result.get(), action)
    }

    /// Claims up to `limit` jobs of `queue` on the worker's own pool.
    func claim(queue: String, limit: Int) async throws -> [ClaimedJob] {
        let query = JobSQL.claimAvailable(
            queue: queue, limit: limit, workerID: id, leaseSeconds: configuration.leaseDuration.seconds
        )
        return try ClaimedJob.all(in: try await ownPool.query(query))
    }

    private func listenForNotifications() async {
        let listener = NotificationListener(ownPool.configuration, channels: ["offload_jobs"], logger: logger)
        let queues = Set(configuration.queues)
        for await event in listener.events() {
            switch event {
            case .listening:
                report(.listening)
                wake.signal()  // notifications may have been missed while disconnected
            case .notification(_, let queue):
                guard queues.contains(queue) else { break }
                report(.wokeByNotification(queue: queue))
                wake.signal()
            }
        }
        listener.stop()
    }

    // MARK: - Running

    func start(_ job: ClaimedJob) {
        // A claim that a PostgreSQL crash undid (claims commit asynchronously, see
        // JobSQL.claimAvailable) can come back to this worker with the same attempt while the first
        // run goes on. That run is this claim: its outcome matches the job's row. Don't start another.
        if running.contains(job) {
            logger.warning(
                "claimed a job this worker is running already (a claim undone by a PostgreSQL crash); not starting it twice",
                metadata: job.logMetadata)
            return
        }
        let timeout = functions[job.function]?.options.timeout ?? .seconds(300)
        running.insert(job, timeout: timeout)
        state.withLock { $0.jobStarted() }
        report(.jobStarted(id: job.id, function: job.function, attempt: job.attempt))
        // An unstructured task per job, on purpose: each must be cancellable on its own (timeout,
        // `offload.cancel`, shutdown deadline), which child tasks of a group are not. They are not
        // stray: `running` tracks each one and `drain()` waits for all of them.
        let task = Task {
            await self.execute(job)
            // Not listed any more when it was abandoned: its slot was freed then.
            if self.running.remove(job.id, attempt: job.attempt) { self.jobsFinished() }
        }
        running.attach(task, to: job)
    }

    private func execute(_ job: ClaimedJob) async {
        // Job metadata goes with each log call rather than into a logger of the job's own: setting
        // metadata on a logger re-renders it (StreamLogHandler), which cost more than all the rest of
        // a no-op job. Passed as an autoclosure, it is not even built when the level is off.
        let logger = self.logger
        let startedAt = ContinuousClock.now
        metrics.started(function: job.function, runAt: job.runAt)
        guard let function = functions[job.function] else {
            let message =
                "no function \"\(job.function.escapingControlCharacters)\" is registered in this worker (it has: \(functions.keys.sorted().joined(separator: ", ")))"
            logger.warning("cannot run job: \(message)", metadata: job.logMetadata)
            record(
                .settled(AttemptPolicy.failure(job: job, message: message, type: "UnknownFunction", options: nil)),
                job: job, startedAt: startedAt)
            return
        }
        logger.debug("job started", metadata: job.logMetadata)
        let completion = JobCompletion(jobID: job.id, attempt: job.attempt, workerID: id)
        let context = JobContext(
            jobID: job.id, function: job.function, queue: job.queue, attempt: job.attempt,
            maxAttempts: job.maxAttempts, eventID: job.eventID, pool: pool, workerLogger: logger, completion: completion
        )
        do {
            let result = try await function.invoke(job.argumentsJSON, context)
            if completion.isCompleted {
                metrics.finished(
                    function: job.function, runNanoseconds: (ContinuousClock.now - startedAt).saturatingNanoseconds,
                    state: .completed)
                logger.debug("job completed in its own transaction", metadata: job.logMetadata)
                report(.jobFinished(id: job.id, attempt: job.attempt, state: .completed))
                return
            }
            record(
                .completed(.init(jobID: job.id, attempt: job.attempt, result: result.map(PGJSON.init(rawJSON:)))),
                job: job, startedAt: startedAt)
        } catch {
            let settlement = AttemptPolicy.settle(
                job: job, error: error, stopReason: running.stopReason(of: job.id, attempt: job.attempt),
                options: function.options
            )
            if completion.isCompleted {  // completed in its transaction, then threw: nothing to undo
                report(.jobFinished(id: job.id, attempt: job.attempt, state: .completed))
                return
            }
            logger.log(
                level: settlement.state == .dead ? .warning : .debug,
                "job attempt ended: \(settlement.state.rawValue)",
                metadata: job.logMetadata.merging(
                    [
                        "error": "\((settlement.message ?? "").escapingControlCharacters)",
                        "error_type": "\((settlement.errorType ?? "").escapingControlCharacters)",
                    ]
                ) { _, new in new }
            )
            record(.settled(settlement), job: job, startedAt: startedAt)
        }
    }

    private func record(_ outcome: JobOutcome, job: ClaimedJob, startedAt: ContinuousClock.Instant) {
        if running.isAbandoned(job.id, attempt: job.attempt) {
            logger.warning(
                "an abandoned handler returned at last; its outcome was recorded when it was abandoned",
                metadata: job.logMetadata
            )
            return
        }
        let state: JobState
        switch outcome {
        case .completed: state = .completed
        case .settled(let settlement): state = settlement.state
        }
        metrics.finished(
            function: job.function, runNanoseconds: (ContinuousClock.now - startedAt).saturatingNanoseconds,
            state: state)
        outcomes.add(outcome)
    }

    // MARK: - Background duties

    /// Cancels attempts that ran past their function's timeout.
    private func enforceTimeouts() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            running.stopOverdue()
            abandonStuckHandlers()
        }
    }

    /// How long a cancelled handler may take to return before the worker gives up on it.
    static let cancellationGrace: Duration = .seconds(5)

    /// Records the outcome of handlers that were cancelled (timeout, `offload.cancel`, shutdown
    /// deadline) but have not returned within `cancellationGrace`, and frees their slots. Their tasks
    /// may run on (Swift cannot stop a task that ignores cancellation); what they do later is ignored.
    private func abandonStuckHandlers() {
        let abandoned = running.abandonStuck(grace: Self.cancellationGrace)
        for (job, reason) in abandoned {
            let options = functions[job.function]?.options ?? FunctionOptions()
            let settlement = AttemptPolicy.abandoned(job: job, reason: reason, options: options)
            logger.warning(
                "a handler ignored cancellation; gave up on it (its task may still be running)",
                metadata: job.logMetadata.merging(["state": "\(settlement.state.rawValue)"]) { _, new in new }
            )
            outcomes.add(.settled(settlement))
        }
        if !abandoned.isEmpty { jobsFinished(abandoned.count) }
    }

    // MARK: - Stopping

    /// Waits for running jobs until the deadline, then cancels the rest (they hand themselves back).
    private func drain() async {
        state.withLock { $0.beginDrain(now: clock.now, cancelled: Task.isCancelled) }
        while true {
            switch state.withLock({ $0.nextDrainAction(now: clock.now, cancelled: Task.isCancelled) }) {
            case .waitForJobs(let timeout):
                await wake.wait(timeout: timeout)
            case .stopAll(let count):
                logger.warning(
                    "shutdown deadline passed: cancelling running jobs and handing them back",
                    metadata: ["running": "\(count)"])
                running.stopAll()
            case .abandonStuckThenWait(let timeout):
                abandonStuckHandlers()
                await wake.wait(timeout: timeout)
            case .done:
                return
            }
        }
    }

    /// Writes the last outcomes and removes the worker's row. Runs in a task of its own because the
    /// calling task may be cancelled (hard stop), and these writes must still happen.
    private func finish() async {
        let outcomes = self.outcomes
        let pool = self.ownPool
        let id = self.id
        let logger = self.logger
        await Task {
            let written = await outcomes.writePending(retryUntil: outcomes.clock.now.advanced(by: .seconds(10)))
            if !written {
                logger.error(
                    "could not record every job outcome before stopping; their leases will expire and they will run again"
                )
            }
            _ = try? await pool.execute(WorkerSQL.deregister(id: id))
            logger.info("worker stopped")
        }.value
    }

    static func makeID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host)-\(getpid())-\(suffix)"
    }
}
