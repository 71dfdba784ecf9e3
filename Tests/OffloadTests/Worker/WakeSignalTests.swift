import Testing

@testable import Offload

/// Wake-ups are never lost, timeouts end only their own wait, cancellation ends a wait. The timers
/// are manual: each fires when the test says.
@Suite("WakeSignal, without a database")
struct WakeSignalTests {
    let timers = ManualTimers()

    @Test func aSignalSentWhileNobodyWaitsIsRemembered() async {
        let wake = WakeSignal(scheduleTimer: timers.schedule)
        wake.signal()
        wake.signal()  // signals do not pile up: one wait consumes them
        await wake.wait(timeout: .seconds(60))
        #expect(timers.timeouts.isEmpty)  // it returned without waiting

        let second = Task { await wake.wait(timeout: .seconds(60)) }
        await timers.scheduled(1)
        #expect(wake.isWaiting)
        wake.signal()
        await second.value
    }

    @Test func aSignalWakesTheWaiterWhicheverComesFirst() async {
        let wake = WakeSignal(scheduleTimer: timers.schedule)
        let waiter = Task { await wake.wait() }
        wake.signal()
        await waiter.value
        #expect(!wake.isWaiting)
    }

    @Test func theTimeoutEndsTheWait() async {
        let wake = WakeSignal(scheduleTimer: timers.schedule)
        let waiter = Task { await wake.wait(timeout: .milliseconds(250)) }
        await timers.scheduled(1)
        #expect(timers.timeouts == [.milliseconds(250)])
        timers.fire(0)
        await waiter.value
        #expect(!wake.isWaiting)
    }

    /// The timer of a wait that a signal ended must not end the next wait.
    @Test func aStaleTimerDoesNotEndALaterWait() async {
        let wake = WakeSignal(scheduleTimer: timers.schedule)
        let first = Task { await wake.wait(timeout: .seconds(1)) }
        await timers.scheduled(1)
        wake.signal()
        await first.value

        let second = Task { await wake.wait(timeout: .seconds(1)) }
        await timers.scheduled(2)
        timers.fire(0)
        #expect(wake.isWaiting)
        timers.fire(1)
        await second.value
        timers.fire(1)  // firing again is harmless
        #expect(!wake.isWaiting)
    }

    @Test func cancellationEndsAWait() async {
        let wake = WakeSignal(scheduleTimer: timers.schedule)
        let waiter = Task { await wake.wait(timeout: .seconds(3600)) }
        await timers.scheduled(1)
        waiter.cancel()
        await waiter.value
        #expect(!wake.isWaiting)
    }

    @Test func aWaitInACancelledTaskReturnsAtOnce() async {
        let wake = WakeSignal(scheduleTimer: timers.schedule)
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await wake.wait()
        }
        await waiter.value
        #expect(timers.timeouts.isEmpty)
    }

    /// The real timer, briefly: a zero timeout ends the wait.
    @Test func theDispatchTimerFires() async {
        let wake = WakeSignal()
        await wake.wait(timeout: .zero)
        await wake.wait(timeout: .nanoseconds(-1))
    }
}
