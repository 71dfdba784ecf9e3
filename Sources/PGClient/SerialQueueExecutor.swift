import Dispatch

/// A serial executor that runs an actor's jobs on its own `DispatchQueue`.
///
/// Blocking libpq calls made by an actor on this executor therefore block a thread of Dispatch's
/// overcommitting pool, never one of the few threads of Swift's cooperative pool. It also keeps each
/// libpq connection on one queue at a time, as libpq requires.
///
/// It is a task executor too: code that borrows the connection runs with it as its preference
/// (`ConnectionPool.withConnection`), so the borrower's code and the connection's statements share
/// one thread, and a statement costs no hop from the cooperative pool to the queue and back (two
/// thread wake-ups, most of a round trip's client time on an idle machine). Every job on the queue,
/// actor or not, runs isolated to the actor: the queue is serial, so that is what they are.
final class SerialQueueExecutor: SerialExecutor, TaskExecutor {
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let serialExecutor = asUnownedSerialExecutor()
        let taskExecutor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(isolatedTo: serialExecutor, taskExecutor: taskExecutor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Runs blocking `work` on the queue and returns its result to the awaiting task.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
