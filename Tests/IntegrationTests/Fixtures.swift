import Foundation
import Logging
import Offload
import OffloadTestKit
import PGClient

struct Greet: JobArguments, Equatable {
    static let function = "greet"
    var name: String
}

struct Greeting: Codable, Equatable, Sendable {
    var text: String
}

struct SourceConnected: Event {
    static let name = "api/source.connected"
    var sourceId: Int
    var userId: Int
}

struct Failing: Error, CustomStringConvertible {
    var description: String { "deliberate failure" }
}

/// A worker tuned for tests: short intervals, so maintenance happens quickly. The lease stays generous:
/// on a loaded machine a 2 s lease let rescue, not the code under test, decide outcomes.
func testWorker(
    pool: ConnectionPool, functions: [Function], concurrency: Int = 10, pollInterval: Duration = .milliseconds(200),
    leaseDuration: Duration = .seconds(15), listens: Bool = true
) -> Worker {
    var logger = Logger(label: "offload.test-worker")
    logger.logLevel = .warning
    return Worker(
        pool: pool,
        functions: functions,
        configuration: WorkerConfiguration(
            concurrency: concurrency,
            pollInterval: pollInterval,
            leaseDuration: leaseDuration,
            heartbeatInterval: .milliseconds(300),
            shutdownDeadline: .seconds(5),
            maintenance: MaintenanceConfiguration(interval: .milliseconds(200)),
            listens: listens
        ),
        logger: logger
    )
}

/// Runs `worker` while `body` runs, then shuts it down gracefully and waits for it to stop.
func whileRunning<T>(
    _ worker: Worker,
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> T
) async throws -> T {
    let running = Task { try await worker.run() }
    do {
        let result = try await body()
        worker.beginShutdown()
        try await running.value
        return result
    } catch {
        worker.beginShutdown()
        _ = try? await running.value
        throw error
    }
}

func count(_ pool: ConnectionPool, _ where: String) async throws -> Int {
    try await pool.query(Query(unsafeSQL: "SELECT count(*) AS n FROM offload.jobs WHERE \(`where`)")).single(Int.self, "n")
}
