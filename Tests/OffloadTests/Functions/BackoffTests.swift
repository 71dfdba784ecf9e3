import Testing

@testable import Offload

/// Retry delays, exactly: jitter is drawn from a value the test passes.
@Suite("Backoff, without a database")
struct BackoffTests {
    @Test func theDefaultDoublesFromOneSecondToAnHour() {
        let backoff = Backoff.exponential
        #expect((1...6).map { backoff.baseDelay(afterAttempt: $0) } == [1, 2, 4, 8, 16, 32])
        #expect(backoff.baseDelay(afterAttempt: 13) == 3600)
        #expect(backoff.baseDelay(afterAttempt: 25) == 3600)
    }

    @Test func hugeAttemptsStayAtTheMaximum() {
        #expect(Backoff.exponential.baseDelay(afterAttempt: 100_000) == 3600)
        #expect(Backoff.exponential.baseDelay(afterAttempt: .max) == 3600)
        #expect(abs(Backoff.exponential.delay(afterAttempt: .max, random: 1) - 3960) < 1e-9)
    }

    @Test func attemptZeroOrLessCountsAsTheFirst() {
        #expect(Backoff.exponential.baseDelay(afterAttempt: 0) == 1)
        #expect(Backoff.exponential.baseDelay(afterAttempt: -5) == 1)
    }

    @Test func jitterSpreadsEachDelayByItsFraction() {
        let backoff = Backoff(initial: .seconds(10), jitter: 0.1)
        #expect(backoff.delay(afterAttempt: 1, random: -1) == 9)
        #expect(backoff.delay(afterAttempt: 1, random: 0) == 10)
        #expect(backoff.delay(afterAttempt: 1, random: 1) == 11)
        for _ in 0..<100 { #expect((9...11).contains(backoff.delay(afterAttempt: 1))) }
    }

    @Test func jitterIsClampedAndDelaysAreNeverNegative() {
        #expect(Backoff(jitter: 5).jitter == 1)
        #expect(Backoff(jitter: -1).jitter == 0)
        #expect(Backoff(initial: .seconds(4), jitter: 1).delay(afterAttempt: 1, random: -1) == 0)
    }

    @Test func constantIsTheSameEveryTime() {
        let backoff = Backoff.constant(.milliseconds(1500))
        #expect((1...30).allSatisfy { backoff.delay(afterAttempt: $0) == 1.5 })
    }

    @Test func theRegistryDescribesThePolicy() {
        #expect(
            Backoff.constant(.seconds(2)).registryDescription == [
                "initial_s": 2, "multiplier": 1, "maximum_s": 2, "jitter": 0,
            ])
    }
}
