import Logging
import Offload
import PGClient

/// Enqueues the run's jobs in batches spread evenly over the production window, the way an app keeps
/// enqueueing while things break.
///
/// A failed enqueue may have committed anyway (the connection died after COMMIT reached the server),
/// so before retrying a batch the producer looks for it by job number; no job is enqueued twice and
/// none is skipped.
struct ChaosProducer: Sendable {
    let mix: ChaosJobMix
    let pool: ConnectionPool
    let window: Duration
    let logger: Logger
    let batchInterval: Duration = .milliseconds(100)

    /// Enqueues jobs 1…total; returns how many batches had to be checked after an ambiguous failure.
    func run(total: Int) async throws -> Int {
        let batches = max(1, Int(window / batchInterval))
        let perBatch = (total + batches - 1) / batches
        let offload = Offload(pool: pool, logger: logger)
        let start = ContinuousClock.now
        var ambiguous = 0
        var first = 1
        var batch = 0
        while first <= total {
            let last = min(total, first + perBatch - 1)
            try await Task.sleep(until: start + batchInterval * batch, clock: .continuous)
            let requests = try mix.requests(first...last)
            var backoff = Duration.milliseconds(50)
            enqueueing: while true {
                do {
                    try await offload.enqueueMany(requests, on: pool)
                    break
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    ambiguous += 1
                    logger.debug("enqueue failed; checking whether it committed", metadata: ["error": "\(error)"])
                }
                // Only a definite answer allows a retry: retrying while the server is unreachable
                // could enqueue the batch a second time.
                while true {
                    try await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(1))
                    guard
                        let existing = try? await pool.query(ChaosSQL.countEnqueued(from: first, to: last)).single(
                            Int.self, "n")
                    else {
                        continue
                    }
                    if existing == requests.count { break enqueueing }
                    if existing == 0 { continue enqueueing }
                    throw ChaosError(
                        "jobs \(first)…\(last) were partly enqueued (\(existing) of \(requests.count)): enqueue_many is not atomic"
                    )
                }
            }
            first = last + 1
            batch += 1
        }
        return ambiguous
    }
}
