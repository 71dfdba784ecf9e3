import Foundation

/// How long to wait before retrying a failed job.
///
/// The default is exponential: 1 s after the first failure, then 2 s, 4 s, 8 s … doubling up to one
/// hour, each with ±10 % jitter so that jobs that failed together don't retry in lockstep. With the
/// default 25 attempts, a job keeps trying for about 13 hours before it is dead.
public struct Backoff: Sendable, Equatable {
    /// The delay after the first failure.
    public var initial: Duration
    /// Each further failure multiplies the delay by this.
    public var multiplier: Double
    /// The longest delay.
    public var maximum: Duration
    /// The fraction of random spread around each delay, from 0 to 1.
    public var jitter: Double

    /// Creates a policy; see each property.
    public init(
        initial: Duration = .seconds(1), multiplier: Double = 2, maximum: Duration = .seconds(3600),
        jitter: Double = 0.1
    ) {
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The default policy (1 s doubling to 1 h, ±10 %).
    public static let exponential = Backoff()

    /// The same delay after every failure.
    public static func constant(_ delay: Duration) -> Backoff {
        Backoff(initial: delay, multiplier: 1, maximum: delay, jitter: 0)
    }

    /// The delay in seconds after failed attempt number `attempt` (1-based), before jitter.
    public func baseDelay(afterAttempt attempt: Int) -> Double {
        let exponent = Double(max(attempt, 1) - 1)
        let delay = initial.seconds * Foundation.pow(multiplier, exponent)
        return min(delay.isFinite ? delay : .infinity, maximum.seconds)
    }

    /// The delay in seconds after failed attempt `attempt`, with jitter drawn from `random`.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: -1...1)) -> Double {
        max(0, baseDelay(afterAttempt: attempt) * (1 + jitter * random))
    }

    /// A JSON-friendly description for the functions registry.
    var registryDescription: [String: Double] {
        ["initial_s": initial.seconds, "multiplier": multiplier, "maximum_s": maximum.seconds, "jitter": jitter]
    }
}
