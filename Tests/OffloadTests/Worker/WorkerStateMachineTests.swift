import Testing

@testable import Offload

/// The worker's slots and stop, transition by transition, without a database. Claims are numbered
/// handles; time is a manual clock's.
@Suite("WorkerStateMachine, without a database")
struct WorkerStateMachineTests {
    typealias Machine = WorkerStateMachine<ManualClock.Instant, Int>

    let clock = ManualClock()
    let poll = Duration.seconds(1)

    /// Holds the machine in a reference, so `#expect` can take its transitions (it cannot call
    /// mutating methods).
    final class Driver {
        var state: Machine
        init(_ state: Machine) { self.state = state }

        var running: Int { state.running }
        var phase: Machine.Phase { state.phase }
        func nextFetchAction(cancelled: Bool) -> Machine.FetchAction { state.nextFetchAction(cancelled: cancelled) }
        func claimSucceeded(requested: Int, claimed: Int) {
            state.claimSucceeded(requested: requested, claimed: claimed)
        }
        func claimFailed() { state.claimFailed() }
        func claimStarted(_ claim: Int, cancelled: Bool) -> Bool { state.claimStarted(claim, cancelled: cancelled) }
        func claimEnded(cancelled: Bool) -> Machine.ClaimedJobsAction { state.claimEnded(cancelled: cancelled) }
        func jobStarted() { state.jobStarted() }
        func jobsFinished(_ count: Int = 1) -> Bool { state.jobsFinished(count) }
        func waitForSlot(below limit: Int) -> Bool { state.waitForSlot(below: limit) }
        func beginShutdown() -> Machine.ShutdownAction { state.beginShutdown() }
        func beginDrain(now: ManualClock.Instant, cancelled: Bool) { state.beginDrain(now: now, cancelled: cancelled) }
        func nextDrainAction(now: ManualClock.Instant, cancelled: Bool) -> Machine.DrainAction {
            state.nextDrainAction(now: now, cancelled: cancelled)
        }
    }

    func makeMachine(concurrency: Int = 10, batch: Int = 4, deadline: Duration = .seconds(25)) -> Driver {
        Driver(Machine(concurrency: concurrency, claimBatchSize: batch, pollInterval: poll, shutdownDeadline: deadline))
    }

    /// Claims and starts `claimed` jobs, as the worker does.
    @discardableResult
    func claim(_ machine: Driver, _ claimed: Int, handle: Int = 1) -> Machine.ClaimedJobsAction {
        #expect(machine.claimStarted(handle, cancelled: false))
        let action = machine.claimEnded(cancelled: false)
        if action == .start { for _ in 0..<claimed { machine.jobStarted() } }
        return action
    }

    // MARK: - Claiming

    @Test func claimsTheFreeSlotsButNoMoreThanABatch() {
        let machine = makeMachine(concurrency: 10, batch: 4)
        #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 4))
        claim(machine, 4)
        machine.claimSucceeded(requested: 4, claimed: 4)
        // A full batch: more may wait, claim again at once.
        #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 4))
        claim(machine, 4)
        machine.claimSucceeded(requested: 4, claimed: 4)
        #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 2))
        claim(machine, 2)
        machine.claimSucceeded(requested: 2, claimed: 2)
        #expect(machine.running == 10)
        // Every slot busy: wait for one; the finish that frees it wakes the loop.
        #expect(machine.nextFetchAction(cancelled: false) == .waitForSlot(timeout: poll))
        #expect(machine.jobsFinished())
        #expect(!machine.jobsFinished())  // one wake-up is enough
        #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 2))
    }

    /// A queue that came up short brings no more work until a notification or the poll: finishing
    /// jobs do not wake the loop.
    @Test func aShortClaimWaitsForWorkNotForFinishes() {
        let machine = makeMachine()
        _ = machine.nextFetchAction(cancelled: false)
        claim(machine, 3)
        machine.claimSucceeded(requested: 4, claimed: 3)
        #expect(machine.nextFetchAction(cancelled: false) == .waitForWork(timeout: poll))
        #expect(!machine.jobsFinished())
        // After the wait (a notification, or the poll), it claims again.
        #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 4))
    }

    @Test func anEmptyQueueWaitsForWork() {
        let machine = makeMachine()
        _ = machine.nextFetchAction(cancelled: false)
        machine.claimSucceeded(requested: 4, claimed: 0)
        #expect(machine.nextFetchAction(cancelled: false) == .waitForWork(timeout: poll))
    }

    @Test func failedClaimsBackOffDoublingToFiveSecondsAndResetOnSuccess() {
        let machine = makeMachine()
        var delays: [Duration] = []
        for _ in 0..<8 {
            #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 4))
            machine.claimFailed()
            guard case .retry(let delay) = machine.nextFetchAction(cancelled: false) else {
                Issue.record("expected a retry")
                return
            }
            delays.append(delay)
        }
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
                .milliseconds(3200), .seconds(5), .seconds(5),
            ])
        _ = machine.nextFetchAction(cancelled: false)
        machine.claimSucceeded(requested: 4, claimed: 4)
        _ = machine.nextFetchAction(cancelled: false)
        machine.claimFailed()
        #expect(machine.nextFetchAction(cancelled: false) == .retry(after: .milliseconds(100)))
    }

    /// A claim over several queues fails halfway: the jobs of the queues before still run and hold
    /// their slots, and the retry claims only what is left.
    @Test func aClaimThatFailsHalfwayKeepsTheJobsItStarted() {
        let machine = makeMachine(concurrency: 6, batch: 6)
        #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 6))
        claim(machine, 2, handle: 1)  // first queue
        #expect(machine.claimStarted(2, cancelled: false))  // second queue: the statement fails
        #expect(machine.claimEnded(cancelled: false) == .start)
        machine.claimFailed()
        #expect(machine.running == 2)
        #expect(machine.nextFetchAction(cancelled: false) == .retry(after: .milliseconds(100)))
        #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 4))
    }

    @Test func waitingForASlotBelowALimit() {
        let machine = makeMachine(concurrency: 2)
        machine.jobStarted()
        #expect(!machine.waitForSlot(below: 2))
        #expect(machine.waitForSlot(below: 1))
        #expect(machine.jobsFinished())
        #expect(!machine.waitForSlot(below: 1))
    }

    // MARK: - Stopping

    /// Shutdown while a claim runs: the claim is cancelled, and whatever it claimed all the same is
    /// handed back unstarted, holding no slot.
    @Test func stopWhileClaiming() {
        let machine = makeMachine()
        #expect(machine.nextFetchAction(cancelled: false) == .claim(limit: 4))
        #expect(machine.claimStarted(7, cancelled: false))
        guard case .stopClaiming(let cancel) = machine.beginShutdown() else {
            Issue.record("shutdown did nothing")
            return
        }
        #expect(cancel == 7)
        #expect(machine.claimEnded(cancelled: false) == .handBack)
        #expect(machine.running == 0)
        machine.claimFailed()  // or the cancelled statement threw
        #expect(machine.nextFetchAction(cancelled: false) == .stop)
        // A claim of a later queue is not even started.
        #expect(!machine.claimStarted(8, cancelled: false))
        #expect(machine.claimEnded(cancelled: false) == .handBack)
    }

    @Test func shutdownWhileIdleCancelsNothingAndHappensOnce() {
        let machine = makeMachine()
        guard case .stopClaiming(let cancel) = machine.beginShutdown() else {
            Issue.record("shutdown did nothing")
            return
        }
        #expect(cancel == nil)
        guard case .none = machine.beginShutdown() else {
            Issue.record("a second shutdown acted again")
            return
        }
        #expect(machine.nextFetchAction(cancelled: false) == .stop)
    }

    /// A claim that ended before shutdown began is not cancelled by it.
    @Test func aFinishedClaimIsNotCancelledByALaterShutdown() {
        let machine = makeMachine()
        claim(machine, 1, handle: 3)
        guard case .stopClaiming(let cancel) = machine.beginShutdown() else {
            Issue.record("shutdown did nothing")
            return
        }
        #expect(cancel == nil)
    }

    @Test func aHardStopEndsTheFetchLoopAndStartsNothing() {
        let machine = makeMachine()
        #expect(machine.nextFetchAction(cancelled: true) == .stop)
        #expect(!machine.claimStarted(1, cancelled: true))
        #expect(machine.claimEnded(cancelled: true) == .handBack)
    }

    @Test func drainingWithNothingRunningIsDoneAtOnce() {
        let machine = makeMachine()
        _ = machine.beginShutdown()
        machine.beginDrain(now: clock.now, cancelled: false)
        #expect(machine.nextDrainAction(now: clock.now, cancelled: false) == .done)
        #expect(machine.phase == .stopped)
    }

    /// Running jobs get until the deadline; the drain wakes as the last one finishes.
    @Test func jobsFinishingBeforeTheDeadlineEndTheDrain() {
        let machine = makeMachine(deadline: .seconds(25))
        _ = machine.nextFetchAction(cancelled: false)
        claim(machine, 2)
        _ = machine.beginShutdown()
        machine.beginDrain(now: clock.now, cancelled: false)
        #expect(machine.phase == .draining(deadline: clock.now.advanced(by: .seconds(25))))
        #expect(machine.nextDrainAction(now: clock.now, cancelled: false) == .waitForJobs(timeout: .milliseconds(100)))
        #expect(!machine.jobsFinished())  // one still runs: no need to wake
        clock.advance(by: .seconds(24) + .milliseconds(950))
        #expect(machine.nextDrainAction(now: clock.now, cancelled: false) == .waitForJobs(timeout: .milliseconds(50)))
        #expect(machine.jobsFinished())
        #expect(machine.nextDrainAction(now: clock.now, cancelled: false) == .done)
    }

    /// At the deadline every job is stopped; one that finishes after it frees its slot like any other,
    /// and the last to go ends the drain.
    @Test func aJobFinishingAfterTheDeadline() {
        let machine = makeMachine(deadline: .seconds(10))
        _ = machine.nextFetchAction(cancelled: false)
        claim(machine, 3)
        _ = machine.beginShutdown()
        machine.beginDrain(now: clock.now, cancelled: false)
        clock.advance(by: .seconds(10) - .nanoseconds(1))
        #expect(machine.nextDrainAction(now: clock.now, cancelled: false) == .waitForJobs(timeout: .nanoseconds(1)))
        clock.advance(by: .nanoseconds(1))
        #expect(machine.nextDrainAction(now: clock.now, cancelled: false) == .stopAll(running: 3))
        #expect(machine.phase == .cancelling)
        #expect(
            machine.nextDrainAction(now: clock.now, cancelled: false)
                == .abandonStuckThenWait(timeout: .milliseconds(10)))
        #expect(!machine.jobsFinished())  // returned after the deadline: handed back by its handler's stop reason
        #expect(!machine.jobsFinished(1))  // abandoned after the grace
        #expect(machine.jobsFinished())  // the last one wakes the drain
        #expect(machine.nextDrainAction(now: clock.now, cancelled: false) == .done)
        #expect(machine.phase == .stopped)
        // A handler abandoned earlier that returns at last frees nothing (the worker does not even
        // tell the machine); and nothing wakes anyone.
        #expect(!machine.jobsFinished(0))
    }

    /// A hard stop (the worker's task cancelled) has no deadline: running jobs are stopped at once.
    @Test func aHardStopDrainsWithoutADeadline() {
        let machine = makeMachine()
        _ = machine.nextFetchAction(cancelled: false)
        claim(machine, 1)
        #expect(machine.nextFetchAction(cancelled: true) == .stop)
        machine.beginDrain(now: clock.now, cancelled: true)
        #expect(machine.nextDrainAction(now: clock.now, cancelled: true) == .stopAll(running: 1))
    }

    /// Cancelled while draining gracefully: stop the jobs now instead of at the deadline.
    @Test func cancellationDuringADrainStopsTheJobs() {
        let machine = makeMachine()
        _ = machine.nextFetchAction(cancelled: false)
        claim(machine, 2)
        _ = machine.beginShutdown()
        machine.beginDrain(now: clock.now, cancelled: false)
        #expect(machine.nextDrainAction(now: clock.now, cancelled: false) == .waitForJobs(timeout: .milliseconds(100)))
        #expect(machine.nextDrainAction(now: clock.now, cancelled: true) == .stopAll(running: 2))
    }

    /// Shutdown begun during the drain (a second signal) changes nothing.
    @Test func aShutdownDuringTheDrainIsIgnored() {
        let machine = makeMachine()
        _ = machine.nextFetchAction(cancelled: false)
        claim(machine, 1)
        _ = machine.nextFetchAction(cancelled: true)
        machine.beginDrain(now: clock.now, cancelled: false)
        guard case .none = machine.beginShutdown() else {
            Issue.record("a shutdown during the drain acted")
            return
        }
        #expect(machine.phase == .draining(deadline: clock.now.advanced(by: .seconds(25))))
    }
}
