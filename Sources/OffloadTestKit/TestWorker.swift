import Logging
import Offload
import PGClient

/// A worker tuned for tests: short intervals, so claims, heartbeats and maintenance happen within a
/// test, and quiet logs (warnings and up). The lease stays generous: on a loaded machine a 2-second
/// lease let rescue, not the code under test, decide outcomes.
///
/// Run it with `whileRunning(_:_:)`, or work off the queue with `Worker.runUntilEmpty()`. Pass
/// `events` to wait for what the worker does (a job finished, the worker idle) instead of sleeping.
///
/// - Parameters:
///   - concurrency: jobs run at once. Defaults to 10.
///   - queues: the queues it takes jobs from. Defaults to `["default"]`.
///   - pollInterval: how often it looks for jobs unprompted. Defaults to 200 milliseconds.
///   - leaseDuration: how long a claim lasts without a heartbeat. Defaults to 15 seconds.
///   - listens: whether it listens for `NOTIFY` wake-ups. Defaults to true.
///   - events: records what the worker does. Defaults to none.
///   - logger: defaults to one at `warning` level.
public func testWorker(
    pool: ConnectionPool,
    functions: [Function],
    concurrency: Int = 10,
    queues: [String] = ["default"],
    pollInterval: Duration = .milliseconds(200),
    leaseDuration: Duration = .seconds(15),
    listens: Bool = true,
    events: WorkerEvents? = nil,
    logger: Logger? = nil
) -> Worker {
    Worker(
        pool: pool,
        functions: functions,
        configuration: WorkerConfiguration(
            concurrency: concurrency,
            queues: queues,
            pollInterval: pollInterval,
            leaseDuration: leaseDuration,
            heartbeatInterval: .milliseconds(300),
            shutdownDeadline: .seconds(5),
            maintenance: MaintenanceConfiguration(interval: .milliseconds(200)),
            listens: listens
        ),
        logger: logger ?? quietLogger(),
        observer: events?.observer
    )
}

/// Runs `worker` while `body` runs, then shuts it down gracefully (no new claims; running jobs get
/// the worker's shutdown deadline) and waits for it to stop, also when `body` throws. Returns what
/// `body` returns.
///
/// ```swift
/// try await whileRunning(testWorker(pool: pool, functions: [greet], events: events)) {
///     let id = try await offload.enqueue(Greet(name: "Ada"))
///     #expect(try await events.finished(id) == .completed)
/// }
/// ```
@discardableResult
public func whileRunning<T>(
    _ worker: Worker,
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> T
) async throws -> T {
    async let running: Void = worker.run()
    do {
        let result = try await body()
        worker.beginShutdown()
        try await running
        return result
    } catch {
        worker.beginShutdown()
        _ = try? await running
        throw error
    }
}

private func quietLogger() -> Logger {
    var logger = Logger(label: "offload.test-worker")
    logger.logLevel = .warning
    return logger
}
