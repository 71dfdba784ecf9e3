import ArgumentParser
import ConnectSourceApp
import Logging
import Offload
import PGClient
import ServiceLifecycle

/// `connect-source worker`: runs the app's functions until SIGTERM or SIGINT, then drains.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run backfill-user-data and send-welcome-email jobs. Start as many as you like."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions
    @Option(help: "Jobs run at once in this process.") var concurrency = 20
    @Option(help: "Database connections in the worker's pool.") var maxConnections = 10
    @Option(help: "Every n-th source fails its first backfill attempt, to show retries (0: none).")
    var flakyEvery = 5

    func validate() throws {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
        guard flakyEvery >= 0 else { throw ValidationError("--flaky-every must be 0 or more") }
    }

    func run() async throws {
        let connection = try database.configuration(applicationName: "connect-source worker")
        let logger = log.logger("connect-source.worker")
        try await Migrator(logger: logger).requireCurrent(connection)
        let pool = ConnectionPool(connection, maxConnections: maxConnections, logger: logger)
        defer { pool.close() }
        let worker = Worker(
            pool: pool,
            functions: ConnectSourceFunctions.all(flakyEvery: flakyEvery),
            configuration: WorkerConfiguration(concurrency: concurrency),
            logger: logger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: worker)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
