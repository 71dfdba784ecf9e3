import Testing

@testable import Offload

/// Timeouts, stops and abandonment of running jobs, on a manual clock: exact, and without waiting.
@Suite("RunningJobs, without a database")
struct RunningJobsTests {
    let clock = ManualClock()
    let grace = Duration.seconds(5)

    /// A task that runs until it is cancelled, standing in for a job's handler.
    func handler() -> Task<Void, Never> {
        Task { while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) } }
    }

    @Test func aJobTimesOutExactlyAtItsDeadline() async {
        let running = RunningJobs(clock: clock)
        let job = ClaimedJob.fixture(id: 1)
        let task = handler()
        running.insert(job, timeout: .seconds(30))
        running.attach(task, to: job)

        clock.advance(by: .seconds(30) - .nanoseconds(1))
        running.stopOverdue()
        #expect(running.stopReason(of: 1, attempt: 1) == nil)
        #expect(!task.isCancelled)

        clock.advance(by: .nanoseconds(1))
        running.stopOverdue()
        #expect(running.stopReason(of: 1, attempt: 1) == .timeout(.seconds(30)))
        #expect(task.isCancelled)
        await task.value
    }

    @Test func theFirstStopReasonWins() async {
        let running = RunningJobs(clock: clock)
        let task = handler()
        running.insert(.fixture(id: 1), timeout: .seconds(1))
        running.attach(task, to: .fixture(id: 1))
        running.stop(1, because: .cancelRequested)
        clock.advance(by: .seconds(2))
        running.stopOverdue()
        running.stopAll()
        #expect(running.stopReason(of: 1, attempt: 1) == .cancelRequested)
        await task.value
    }

    /// A stop requested between insert and attach (the heartbeat saw a cancel request first) cancels
    /// the task as soon as it is attached.
    @Test func aStopBeforeTheTaskIsAttachedCancelsItOnAttach() async {
        let running = RunningJobs(clock: clock)
        running.insert(.fixture(id: 1), timeout: .seconds(60))
        running.stop(1, because: .cancelRequested)
        let task = handler()
        running.attach(task, to: .fixture(id: 1))
        #expect(task.isCancelled)
        await task.value
    }

    @Test func stopAllStopsEveryJobForShutdown() async {
        let running = RunningJobs(clock: clock)
        let tasks = (1...3).map { _ in handler() }
        for (index, task) in tasks.enumerated() {
            running.insert(.fixture(id: Int64(index + 1)), timeout: .seconds(60))
            running.attach(task, to: .fixture(id: Int64(index + 1)))
        }
        running.stopAll()
        #expect((1...3).allSatisfy { running.stopReason(of: Int64($0), attempt: 1) == .shutdown })
        for task in tasks { await task.value }
    }

    /// A handler that ignores cancellation is given up on exactly `grace` after it was stopped: its
    /// slot is freed, and when it returns at last its late removal changes nothing.
    @Test func aHandlerIgnoringCancellationIsAbandonedAfterTheGrace() {
        let running = RunningJobs(clock: clock)
        let job = ClaimedJob.fixture(id: 1, attempt: 2)
        running.insert(job, timeout: .seconds(10))
        running.insert(.fixture(id: 2), timeout: .seconds(60))
        clock.advance(by: .seconds(10))
        running.stopOverdue()  // job 1 is stopped at t+10 s

        clock.advance(by: grace - .nanoseconds(1))
        #expect(running.abandonStuck(grace: grace).isEmpty)
        clock.advance(by: .nanoseconds(1))
        let abandoned = running.abandonStuck(grace: grace)
        #expect(abandoned.map(\.job.id) == [1])
        #expect(abandoned.first?.reason == .timeout(.seconds(10)))
        #expect(running.count == 1)
        #expect(running.isAbandoned(1, attempt: 2))
        #expect(running.abandonStuck(grace: grace).isEmpty)  // given up on once only

        // The handler returns at last: nothing was listed for it any more.
        #expect(!running.remove(1, attempt: 2))
        #expect(!running.isAbandoned(1, attempt: 2))
        #expect(running.count == 1)
    }

    /// An abandoned attempt's task must not touch the entry of the job's next attempt.
    @Test func aLateTaskOfAnEarlierAttemptLeavesTheNextAttemptAlone() {
        let running = RunningJobs(clock: clock)
        running.insert(.fixture(id: 1, attempt: 1), timeout: .seconds(1))
        clock.advance(by: .seconds(1))
        running.stopOverdue()
        clock.advance(by: grace)
        #expect(running.abandonStuck(grace: grace).count == 1)

        let next = ClaimedJob.fixture(id: 1, attempt: 2)
        running.insert(next, timeout: .seconds(60))
        #expect(running.contains(next))
        #expect(!running.contains(.fixture(id: 1, attempt: 1)))
        #expect(!running.remove(1, attempt: 1))
        #expect(running.stopReason(of: 1, attempt: 1) == nil)
        #expect(running.contains(next))
        #expect(running.remove(1, attempt: 2))
        #expect(running.count == 0)
    }

    /// Past the shutdown deadline a job is stopped; if it then finishes, it is removed like any other,
    /// and its stop reason (read before removal) makes its outcome a hand-back.
    @Test func aJobFinishingAfterTheShutdownDeadlineIsHandedBack() {
        let running = RunningJobs(clock: clock)
        let job = ClaimedJob.fixture(id: 7, attempt: 3)
        running.insert(job, timeout: .seconds(300))
        running.stopAll()
        let reason = running.stopReason(of: 7, attempt: 3)
        #expect(reason == .shutdown)
        let settlement = AttemptPolicy.settle(
            job: job, error: CancellationError(), stopReason: reason, options: FunctionOptions())
        #expect(settlement.state == .available && settlement.refundAttempt)
        #expect(running.remove(7, attempt: 3))
        #expect(running.ids.isEmpty)
    }

    /// A job rescued from this worker while its handler still ran, then claimed again by this same
    /// worker, runs twice here: each attempt holds its own entry, and each frees its own slot when its
    /// task ends (keyed by job id alone, the second replaced the first, whose slot was never freed).
    @Test func twoAttemptsOfOneJobEachHoldAndFreeTheirOwnEntry() async {
        let running = RunningJobs(clock: clock)
        let first = ClaimedJob.fixture(id: 9, attempt: 1)
        let second = ClaimedJob.fixture(id: 9, attempt: 2)
        running.insert(first, timeout: .seconds(60))
        running.insert(second, timeout: .seconds(60))
        #expect(running.count == 2)
        #expect(running.ids == [9])

        let tasks = [handler(), handler()]
        running.attach(tasks[0], to: first)
        running.attach(tasks[1], to: second)
        running.stop(9, because: .cancelRequested)  // a cancel request is for the job: every attempt
        #expect(tasks[0].isCancelled && tasks[1].isCancelled)
        #expect(running.stopReason(of: 9, attempt: 1) == .cancelRequested)
        #expect(running.stopReason(of: 9, attempt: 2) == .cancelRequested)

        #expect(running.remove(9, attempt: 1))
        #expect(running.contains(second))
        #expect(running.remove(9, attempt: 2))
        #expect(running.count == 0)
        for task in tasks { await task.value }
    }
}
