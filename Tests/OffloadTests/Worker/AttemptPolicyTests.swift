import Testing

@testable import Offload

/// What each way an attempt can end becomes, without a database.
@Suite("AttemptPolicy, without a database")
struct AttemptPolicyTests {
    struct Boom: Error, CustomStringConvertible {
        var description: String { "boom" }
    }

    let options = FunctionOptions(backoff: .constant(.seconds(7)))

    @Test func aThrownErrorIsRetriedAfterTheBackoff() {
        let settlement = AttemptPolicy.settle(
            job: .fixture(id: 1, attempt: 3), error: Boom(), stopReason: nil, options: options)
        #expect(settlement.state == .retryable)
        #expect(settlement.delaySeconds == 7)
        #expect(settlement.message == "boom")
        #expect(settlement.errorType == "Boom")
        #expect(settlement.attempt == 3)
        #expect(!settlement.refundAttempt)
    }

    @Test func theLastAttemptIsDead() {
        let job = ClaimedJob.fixture(id: 1, attempt: 5, maxAttempts: 5)
        let settlement = AttemptPolicy.settle(job: job, error: Boom(), stopReason: nil, options: options)
        #expect(settlement.state == .dead)
        #expect(settlement.delaySeconds == 0)
    }

    @Test func errorsNotWorthRetryingAreDeadAtOnce() {
        let job = ClaimedJob.fixture(id: 1)
        #expect(
            AttemptPolicy.settle(job: job, error: JobError.nonRetryable("bad input"), stopReason: nil, options: options)
                .state == .dead)
        let wrapped = AttemptPolicy.settle(
            job: job, error: NonRetryableError(Boom()), stopReason: nil, options: options)
        #expect(wrapped.state == .dead)
        #expect(wrapped.errorType == "Boom")
        let picky = FunctionOptions(isRetryable: { !($0 is Boom) })
        #expect(AttemptPolicy.settle(job: job, error: Boom(), stopReason: nil, options: picky).state == .dead)
    }

    @Test func snoozeAndCancelSteerWithoutFailing() {
        let job = ClaimedJob.fixture(id: 1, attempt: 2)
        let snoozed = AttemptPolicy.settle(
            job: job, error: JobError.snooze(.seconds(90)), stopReason: nil, options: options)
        #expect(snoozed.state == .available)
        #expect(snoozed.delaySeconds == 90)
        #expect(snoozed.refundAttempt)
        #expect(snoozed.message == nil)
        let cancelled = AttemptPolicy.settle(
            job: job, error: JobError.cancel("not needed"), stopReason: nil, options: options)
        #expect(cancelled.state == .cancelled)
        #expect(cancelled.message == "not needed")
    }

    /// Why the worker stopped the task wins over what the handler threw on its way out.
    @Test func theStopReasonDecidesOverTheError() {
        let job = ClaimedJob.fixture(id: 1, attempt: 2)
        let timedOut = AttemptPolicy.settle(
            job: job, error: CancellationError(), stopReason: .timeout(.seconds(30)), options: options)
        #expect(timedOut.state == .retryable)
        #expect(timedOut.errorType == "Timeout")
        #expect(timedOut.message == "timed out after 30.0 seconds")
        let cancelled = AttemptPolicy.settle(job: job, error: Boom(), stopReason: .cancelRequested, options: options)
        #expect(cancelled.state == .cancelled)
        // A job still running at the shutdown deadline goes back, its attempt not counted.
        let handedBack = AttemptPolicy.settle(
            job: job, error: CancellationError(), stopReason: .shutdown, options: options)
        #expect(handedBack.state == .available)
        #expect(handedBack.refundAttempt)
        #expect(handedBack.delaySeconds == 0)
        #expect(handedBack.errorType == "Shutdown")
    }

    @Test func aTimeoutOnTheLastAttemptIsDead() {
        let job = ClaimedJob.fixture(id: 1, attempt: 3, maxAttempts: 3)
        #expect(
            AttemptPolicy.settle(job: job, error: Boom(), stopReason: .timeout(.seconds(1)), options: options).state
                == .dead)
    }

    @Test func anAbandonedHandlerSaysSo() {
        let job = ClaimedJob.fixture(id: 1)
        let settlement = AttemptPolicy.abandoned(job: job, reason: .timeout(.seconds(2)), options: options)
        #expect(settlement.state == .retryable)
        #expect(settlement.message?.hasPrefix("timed out after 2.0 seconds; the handler did not stop") == true)
        let handedBack = AttemptPolicy.abandoned(job: job, reason: .shutdown, options: options)
        #expect(handedBack.state == .available)
        #expect(handedBack.message?.contains("abandoned") == true)
    }

    /// Claimed while the worker began to stop: back at once, nothing counted, nothing in its errors.
    @Test func anUnstartedJobIsHandedBackClean() {
        let settlement = AttemptPolicy.handBackUnstarted(job: .fixture(id: 9, attempt: 4))
        #expect(settlement.state == .available)
        #expect(settlement.refundAttempt)
        #expect(settlement.message == nil && settlement.errorType == nil)
        #expect(settlement.jobID == 9 && settlement.attempt == 4)
    }

    @Test func anUnknownFunctionFailsLikeAnyError() {
        let settlement = AttemptPolicy.failure(
            job: .fixture(id: 1), message: "no function", type: "UnknownFunction", options: nil)
        #expect(settlement.state == .retryable)
        // The default backoff: 1 s ± 10 % after the first attempt.
        #expect((0.9...1.1).contains(settlement.delaySeconds))
    }

    @Test func storableTextHasNoNULAndAtMost8000Characters() {
        #expect(AttemptPolicy.storable("a\u{0}b") == "a\\0b")
        #expect(AttemptPolicy.storable(String(repeating: "x", count: 10_000)).count == 8_000)
        let settlement = AttemptPolicy.settle(
            job: .fixture(id: 1), error: JobError.nonRetryable("bad\u{0}"), stopReason: nil, options: options)
        #expect(settlement.message == "bad\\0")
    }
}
