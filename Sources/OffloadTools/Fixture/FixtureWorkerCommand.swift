import ArgumentParser
import Foundation
import Logging
import Offload
import OffloadCLI
import PGClient
import ServiceLifecycle

/// `offload fixture-worker`: a worker process running the fixture functions (`noop`, `record`, `stamp`), for
/// benchmarks, the chaos run and process-level tests. Hidden from `--help`.
struct FixtureWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixture-worker",
        abstract: "Run a worker with the built-in fixture functions (noop, record, stamp).",
        shouldDisplay: false
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Jobs run at once.") var concurrency = 50
    @Option(help: "Queues, comma-separated.") var queues = "default"
    @Option(help: "Most jobs claimed per statement.") var claimBatch = 500
    @Option(help: "Connections in the worker's pool.") var maxConnections = 10
    @Option(help: "Job lease, in milliseconds.") var leaseMs = 30_000
    @Option(help: "Heartbeat interval, in milliseconds.") var heartbeatMs = 5_000
    @Option(help: "Poll interval, in milliseconds.") var pollMs = 1_000
    @Option(help: "Maintenance interval, in milliseconds.") var maintenanceMs = 1_000
    @Option(help: "Completed and cancelled jobs are pruned once finished this long ago, in milliseconds.")
    var completedRetentionMs = 86_400_000
    @Option(help: "Drain deadline on SIGTERM, in milliseconds.") var shutdownDeadlineMs = 25_000
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel = "info"
    @Option(help: "Exit when this process is no longer our parent (tests and chaos runs: no orphans).")
    var exitWithParent: Int32?

    func validate() throws {
        if completedRetentionMs < 0 { throw ValidationError("--completed-retention-ms must not be negative") }
    }

    func run() async throws {
        WorkerProcess.catchStopSignalsDuringStartup()
        let connection = try database.configuration()
        var logger = Logger(label: "offload.fixture-worker")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        try await Migrator(logger: logger).requireCurrent(connection)
        let pool = ConnectionPool(connection, maxConnections: maxConnections, logger: logger)
        try await FixtureFunctions.createTables(on: pool)
        let worker = Worker(
            pool: pool,
            functions: FixtureFunctions.all(),
            configuration: WorkerConfiguration(
                concurrency: concurrency,
                queues: queues.split(separator: ",").map(String.init),
                claimBatchSize: claimBatch,
                pollInterval: .milliseconds(pollMs),
                leaseDuration: .milliseconds(leaseMs),
                heartbeatInterval: .milliseconds(heartbeatMs),
                shutdownDeadline: .milliseconds(shutdownDeadlineMs),
                maintenance: MaintenanceConfiguration(
                    interval: .milliseconds(maintenanceMs), completedRetention: .milliseconds(completedRetentionMs))
            ),
            logger: logger
        )
        if let exitWithParent { Self.exitWhenOrphaned(parent: exitWithParent, logger: logger) }
        try await WorkerProcess.run(worker, logger: logger)
    }

    /// Exits as soon as `parent` is gone (we were re-parented), so a test or chaos run that dies never
    /// leaves workers behind. A detached task on purpose: it must outlive nothing and ends with the
    /// process.
    private static func exitWhenOrphaned(parent: Int32, logger: Logger) {
        Task.detached {
            while getppid() == parent {
                try? await Task.sleep(for: .milliseconds(250))
            }
            logger.error("parent process \(parent) is gone; exiting")
            Foundation.exit(3)
        }
    }
}
