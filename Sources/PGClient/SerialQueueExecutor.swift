import Dispatch

/// A serial executor that runs an actor's jobs on its own `DispatchQueue`.
///
/// Blocking libpq calls made by an actor on this executor therefore block a thread of Dispatch's
/// overcommitting pool, never one of the few threads of Swift's cooperative pool. It also keeps each
/// libpq connection on one queue at a time, as libpq requires.
final class SerialQueueExecutor: SerialExecutor {
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Runs blocking `work` on the queue and returns its result to the awaiting task.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
