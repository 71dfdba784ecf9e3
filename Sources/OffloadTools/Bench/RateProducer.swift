import PGClient

/// Enqueues no-op jobs at a fixed rate, as an API under steady traffic would: every `tick` it
/// enqueues, in one `offload.enqueue_many`, the jobs due by then. A slow statement is caught up by
/// the next one (the count due follows the clock, not the ticks), so the rate holds on average as
/// long as the statements keep up at all. The steady scenario and the soak share it.
struct RateProducer {
    /// How often the producer enqueues.
    static let tick = Duration.milliseconds(10)

    /// Jobs per second.
    let rate: Int

    /// Enqueues on `connection` from `start` until `duration` has passed; returns how many jobs it
    /// enqueued.
    func run(on connection: Connection, from start: ContinuousClock.Instant, for duration: Duration) async throws
        -> Int
    {
        var produced = 0
        while true {
            let elapsed = ContinuousClock.now - start
            if elapsed >= duration { break }
            let due = Int(Double(rate) * elapsed.seconds)
            if due > produced {
                try await connection.execute(BenchSQL.enqueueNoops(due - produced))
                produced = due
            }
            try await Task.sleep(until: start + Self.tick * Int((ContinuousClock.now - start) / Self.tick + 1))
        }
        return produced
    }
}
