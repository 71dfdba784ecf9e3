import DequeModule

/// `OutcomeWriter`'s bookkeeping, without I/O: the outcomes waiting to be written and the batch being
/// written, changed together under the writer's one lock.
///
/// With the two kept apart (two mutexes), a batch taken from `pending` was in neither list until it
/// was marked in flight; a heartbeat reading `unwrittenJobIDs` just then left those jobs' leases to
/// expire, and rescue ran them again.
struct OutcomeWriterStateMachine {
    /// The most outcomes written in one batch.
    let maxBatch: Int
    /// A `Deque`: batches leave from the front, and a failed one goes back there, in O(batch).
    private var pending: Deque<JobOutcome> = []
    private var inFlight: [JobOutcome] = []

    init(maxBatch: Int) {
        precondition(maxBatch > 0, "a batch holds at least one outcome")
        self.maxBatch = maxBatch
    }

    /// Jobs whose outcome is not written yet: in flight, then waiting.
    var unwrittenJobIDs: [Int64] { inFlight.map(\.jobID) + pending.map(\.jobID) }

    var isEmpty: Bool { pending.isEmpty && inFlight.isEmpty }

    mutating func add(_ outcome: JobOutcome) {
        pending.append(outcome)
    }

    /// Takes the oldest waiting outcomes (at most `maxBatch`) for writing; empty when none waits.
    /// The batch counts as unwritten until `batchWritten` or `batchFailed`.
    mutating func nextBatch() -> [JobOutcome] {
        precondition(inFlight.isEmpty, "one batch is written at a time")
        inFlight = Array(pending.prefix(maxBatch))
        pending.removeFirst(inFlight.count)
        return inFlight
    }

    mutating func batchWritten() {
        inFlight = []
    }

    /// The write failed: the batch goes back in front of what came in meanwhile, to be retried first.
    mutating func batchFailed() {
        pending.prepend(contentsOf: inFlight)
        inFlight = []
    }
}
