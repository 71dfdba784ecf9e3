import Logging
import PGClient
import Synchronization

/// Buffers attempt outcomes and writes them in batches: one `UPDATE … FROM unnest(…)` for all
/// completions that piled up while the previous write was in flight, one for everything else.
///
/// No artificial delay: under light load each outcome is written at once; under heavy load batches
/// grow by themselves. A write that fails (connection lost) keeps its outcomes and is retried with
/// backoff, so finished work is never forgotten; the heartbeat keeps those jobs' leases alive meanwhile.
///
/// The retry backoff is slept on `clock` (a manual clock in tests); the statements go through `write`
/// (the worker's pool, or a stand-in in tests).
final class OutcomeWriter<C: Clock>: Sendable where C.Duration == Duration {
    /// Writes one batch: every completion in one statement, every other outcome in another.
    typealias Write = @Sendable ([JobOutcome]) async throws -> Void

    /// Told what each write recorded, once it committed (the worker's observer, for tests).
    typealias Written = @Sendable ([JobOutcome]) -> Void

    private let state: Mutex<OutcomeWriterStateMachine>
    private let wake = WakeSignal()
    private let write: Write
    private let written: Written?
    private let logger: Logger
    let clock: C

    /// A writer that records outcomes through `pool` for the worker `workerID`.
    convenience init(pool: ConnectionPool, workerID: String, logger: Logger, clock: C, written: Written? = nil) {
        self.init(logger: logger, clock: clock, written: written) { batch in
            try await Self.write(batch, pool: pool, workerID: workerID)
        }
    }

    init(maxBatch: Int = 5_000, logger: Logger, clock: C, written: Written? = nil, write: @escaping Write) {
        self.state = Mutex(OutcomeWriterStateMachine(maxBatch: maxBatch))
        self.write = write
        self.written = written
        self.logger = logger
        self.clock = clock
    }

    func add(_ outcome: JobOutcome) {
        state.withLock { $0.add(outcome) }
        wake.signal()
    }

    /// Jobs whose outcome is not written yet (their leases must still be extended).
    var unwrittenJobIDs: [Int64] { state.withLock { $0.unwrittenJobIDs } }

    var isEmpty: Bool { state.withLock { $0.isEmpty } }

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
    func writePending(retryUntil deadline: C.Instant?) async -> Bool {
        var backoff = Duration.milliseconds(50)
        while true {
            let batch = state.withLock { $0.nextBatch() }
            if batch.isEmpty { return true }
            do {
                let recorded = try await writeIsolatingUnstorable(batch)
                state.withLock { $0.batchWritten() }
                written?(recorded)
                backoff = .milliseconds(50)
            } catch {
                state.withLock { $0.batchFailed() }
                logger.warning(
                    "could not record \(batch.count) job outcomes; retrying",
                    metadata: [
                        "error": "\(String(describing: error).escapingControlCharacters)", "retry_in": "\(backoff)",
                    ]
                )
                if let deadline, clock.now.advanced(by: backoff) > deadline { return false }
                // Sleep even when cancelled (a final flush runs in a task of its own, see Worker).
                try? await clock.sleep(for: backoff)
                if Task.isCancelled && deadline == nil { return false }
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    /// Writes `batch`; when PostgreSQL rejects the data itself (not the connection), splits the batch
    /// until the outcome it rejects is alone, and records that job as dead with the server's reason.
    ///
    /// Without this, one result jsonb cannot hold (a NUL character, over 255 MB) failed its whole batch
    /// on every retry: no outcome in it was ever written, and the heartbeat kept all those jobs
    /// `running` forever (found by the bad-input tests). Rewriting the halves that did succeed is
    /// harmless: every write is fenced on `state = 'running'` and the attempt.
    ///
    /// Returns what was recorded: `batch`, with a dead settlement in place of each outcome PostgreSQL
    /// refused (and without one that not even that could replace).
    private func writeIsolatingUnstorable(_ batch: [JobOutcome]) async throws -> [JobOutcome] {
        do {
            try await write(batch)
            return batch
        } catch let error where Self.isRejectedData(error) {
            if batch.count > 1 {
                let middle = batch.count / 2
                let first = try await writeIsolatingUnstorable(Array(batch[..<middle]))
                return first + (try await writeIsolatingUnstorable(Array(batch[middle...])))
            }
            let outcome = batch[0]
            let settlement = Self.unstorable(outcome, reason: error)
            logger.error(
                "PostgreSQL rejected a job's outcome; recording the job as dead",
                metadata: [
                    "job_id": "\(outcome.jobID)", "error": "\(String(describing: error).escapingControlCharacters)",
                ]
            )
            do {
                try await write([.settled(settlement)])
                return [.settled(settlement)]
            } catch let error where Self.isRejectedData(error) {
                // Not even that could be stored: drop it. The lease expires and the job is rescued.
                logger.error(
                    "could not record the job's failure either; its lease will expire",
                    metadata: [
                        "job_id": "\(outcome.jobID)", "error": "\(String(describing: error).escapingControlCharacters)",
                    ])
                return []
            }
        }
    }

    /// Whether PostgreSQL (or the client's encoding) refused the values themselves: retrying the same
    /// statement can never succeed. Connection losses, timeouts, deadlocks and the like are retried.
    static func isRejectedData(_ error: any Error) -> Bool {
        guard let error = error as? PGError else { return false }
        if error.code == .encoding { return true }
        guard error.code == .server, let sqlState = error.sqlState else { return false }
        // 22: data exception (e.g. 22P05 untranslatable character), 23: integrity constraint,
        // 54: program limit exceeded (e.g. a jsonb value too large).
        return ["22", "23", "54"].contains(sqlState.errorClass)
    }

    /// The dead settlement that replaces an outcome PostgreSQL refused.
    static func unstorable(_ outcome: JobOutcome, reason: any Error) -> JobOutcome.Settlement {
        let what: String
        let attempt: Int
        switch outcome {
        case .completed(let completion):
            what = "the function succeeded, but PostgreSQL could not store the result"
            attempt = completion.attempt
        case .settled(let settlement):
            what = "PostgreSQL could not store the attempt's outcome (\(settlement.state.rawValue))"
            attempt = settlement.attempt
        }
        return JobOutcome.Settlement(
            jobID: outcome.jobID, attempt: attempt, state: .dead, delaySeconds: 0,
            message: AttemptPolicy.storable("\(what): \(reason)"),
            errorType: "UnstorableOutcome", refundAttempt: false
        )
    }

    private static func write(_ batch: [JobOutcome], pool: ConnectionPool, workerID: String) async throws {
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
