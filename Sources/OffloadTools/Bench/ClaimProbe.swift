import Offload
import Synchronization

/// Times the claim while the soak runs, the way `offload health` does (`Offload.claimLatency`): a
/// claim of one job from the default queue in a transaction that is rolled back, so no job changes
/// hands. It runs the worker's own statement (`offload.claim`) through the same index at the same
/// moment, so its time moves with the worker's claims; it is timed at the client, which adds one
/// local round trip (tens of microseconds).
final class ClaimProbe: Sendable {
    /// Milliseconds per probe, since the last `take()`.
    private let samples = Mutex<[Double]>([])

    /// Probes every `every` from `start` until `end`. Stops early, leaving no samples, when the role
    /// may not claim.
    func run(
        _ offload: Offload, every: Duration, from start: ContinuousClock.Instant, until end: ContinuousClock.Instant
    ) async throws {
        var next = start
        while next < end {
            try await Task.sleep(until: next)
            guard let took = try await offload.claimLatency(queue: "default") else { return }
            samples.withLock { $0.append(took.seconds * 1_000) }
            // A probe slower than the cadence is followed by a pause, not by another at once: the
            // probe must not become a second, busier claimer when claims are slow.
            next = max(next + every, ContinuousClock.now + every / 2)
        }
    }

    /// The probes' times since the previous call, in milliseconds, sorted.
    func take() -> [Double] {
        samples.withLock { samples in
            defer { samples = [] }
            return samples.sorted()
        }
    }
}
