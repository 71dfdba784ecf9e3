import Logging
import PGClient
import Synchronization

/// Buffers attempt outcomes and writes them in batches: one `UPDATE … FROM unnest(…)` for all
/// completions that piled up while the previous write was in flight, one for everything else.
///
/// No artificial delay: under light load each outcome is written at once; under heavy load batches
/// grow by themselves. A write that fails (connection lost) keeps its outcomes and is retried with
/// backoff, so finished work is never forgotten; the heartbeat keeps those jobs' leases alive meanwhile.
final class OutcomeWriter: Sendable {
    private let pending = Mutex<[JobOutcome]>([])
    private let inFlight = Mutex<[Int64]>([])
    private let wake = WakeSignal()
    private let pool: ConnectionPool
    private let workerID: String
    private let logger: Logger
    private let maxBatch = 5_000

    init(pool: ConnectionPool, workerID: String, logger: Logger) {
        self.pool = pool
        self.workerID = workerID
        self.logger = logger
    }

    func add(_ outcome: JobOutcome) {
        pending.withLock { $0.append(outcome) }
        wake.signal()
    }

    /// Jobs whose outcome is not written yet (their leases must still be extended).
    var unwrittenJobIDs: [Int64] {
        pending.withLock { $0.map(\.jobID) } + inFlight.withLock { $0 }
    }

    var isEmpty: Bool { pending.withLock { $0.isEmpty } && inFlight.withLock { $0.isEmpty } }

    /// Writes outcomes as they come until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            await wake.wait()
            await writePending(retryUntil: nil)
        }
    }

    /// Writes everything buffered, retrying failed writes until `deadline` (forever when nil).
    /// Returns true when nothing is left unwritten.
    @discardableResult
    func writePending(retryUntil deadline: ContinuousClock.Instant?) async -> Bool {
        var backoff = Duration.milliseconds(50)
        while true {
            let batch = pending.withLock { pending -> [JobOutcome] in
                let batch = Array(pending.prefix(maxBatch))
                pending.removeFirst(batch.count)
                return batch
            }
            if batch.isEmpty { return true }
            inFlight.withLock { $0 = batch.map(\.jobID) }
            do {
                try await write(batch)
                inFlight.withLock { $0 = [] }
                backoff = .milliseconds(50)
            } catch {
                pending.withLock { $0.insert(contentsOf: batch, at: 0) }
                inFlight.withLock { $0 = [] }
                logger.warning(
                    "could not record \(batch.count) job outcomes; retrying",
                    metadata: ["error": "\(error)", "retry_in": "\(backoff)"]
                )
                if let deadline, ContinuousClock.now + backoff > deadline { return false }
                // Sleep even when cancelled (a final flush runs in a task of its own, see Worker).
                try? await Task.sleep(for: backoff)
                if Task.isCancelled && deadline == nil { return false }
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    private func write(_ batch: [JobOutcome]) async throws {
        var completions: [JobOutcome.Completion] = []
        var settlements: [JobOutcome.Settlement] = []
        for outcome in batch {
            switch outcome {
            case .completed(let completion): completions.append(completion)
            case .settled(let settlement): settlements.append(settlement)
            }
        }
        try await pool.withConnection { connection in
            if !completions.isEmpty {
                try await connection.execute(JobSQL.completeMany(completions, workerID: workerID))
            }
            if !settlements.isEmpty {
                try await connection.execute(JobSQL.recordSettlements(settlements, workerID: workerID))
            }
        }
    }
}
