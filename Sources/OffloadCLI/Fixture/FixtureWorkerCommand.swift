import ArgumentParser
import Logging
import Offload
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
    @Option(help: "Drain deadline on SIGTERM, in milliseconds.") var shutdownDeadlineMs = 25_000
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel = "info"

    func run() async throws {
        let connection = try database.configuration()
        var logger = Logger(label: "offload.fixture-worker")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        try await Migrator(logger: logger).requireCurrent(connection)
        let pool = ConnectionPool(connection, maxConnections: maxConnections, logger: logger)
        try await pool.execute(FixtureFunctions.createInvocations)
        try await pool.execute(FixtureFunctions.createStamps)
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
                maintenance: MaintenanceConfiguration(interval: .milliseconds(maintenanceMs))
            ),
            logger: logger
        )
        try await WorkerProcess.run(worker, logger: logger)
    }
}
