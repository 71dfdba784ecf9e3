import ArgumentParser
import ConnectSourceApp
import Hummingbird
import Logging
import Offload
import PGClient
import ServiceLifecycle

/// `connect-source api`: serves the HTTP API until SIGTERM or SIGINT.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve POST /api/connectSource and GET /api/sources/:id."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions
    @Option(help: "The TCP port.") var port = 8080
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "Database connections in the API's pool.") var maxConnections = 10

    func run() async throws {
        let connection = try database.configuration(applicationName: "connect-source api")
        let logger = log.logger("connect-source.api")
        try await Migrator(logger: logger).requireCurrent(connection)
        let pool = ConnectionPool(connection, maxConnections: maxConnections, logger: logger)
        defer { pool.close() }
        let offload = Offload(pool: pool, logger: logger)
        // Before serving: an event sent before any worker ever started must still fan out to the
        // functions, and the registry is how offload.send knows them.
        try await offload.register(ConnectSourceFunctions.all())

        let router = Router(context: AppRequestContext.self)
        SourcesAPI(pool: pool, offload: offload).addRoutes(to: router)
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "connect-source"),
            logger: logger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
