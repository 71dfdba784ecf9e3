import PGClient
import Synchronization

/// Lets a function complete its own job inside its transaction (`JobContext.transaction`), and tells
/// the worker afterwards that it need not record the completion again.
final class JobCompletion: Sendable {
    let jobID: Int64
    let attempt: Int
    let workerID: String
    private let completedInTransaction = Mutex(false)

    init(jobID: Int64, attempt: Int, workerID: String) {
        self.jobID = jobID
        self.attempt = attempt
        self.workerID = workerID
    }

    var isCompleted: Bool { completedInTransaction.withLock { $0 } }

    func completeInTransaction(_ result: PGJSON?, on connection: Connection) async throws {
        let query = JobSQL.completeOne(jobID: jobID, attempt: attempt, result: result, workerID: workerID)
        guard try await connection.query(query).first != nil else {
            throw JobNoLongerHeldError(jobID: jobID)
        }
        // Marked before COMMIT: if COMMIT then fails, the job stays `running` and its lease expiry
        // sends it back for another attempt, which is the at-least-once promise.
        completedInTransaction.withLock { $0 = true }
    }
}

/// The job was rescued from this worker (its lease expired) or cancelled, so this attempt can no longer
/// complete it.
struct JobNoLongerHeldError: Error, CustomStringConvertible {
    let jobID: Int64
    var description: String { "job \(jobID) is no longer held by this worker (rescued or cancelled)" }
}
