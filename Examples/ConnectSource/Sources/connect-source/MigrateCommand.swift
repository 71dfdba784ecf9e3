import ArgumentParser
import ConnectSourceApp
import Logging
import Offload
import PGClient

/// `connect-source migrate`: Offload's schema, then the app's tables.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or update the offload schema and the app's tables (safe to run again)."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let connection = try database.configuration(applicationName: "connect-source migrate")
        var logger = Logger(label: "connect-source.migrate")
        logger.logLevel = .warning
        let applied = try await Migrator(logger: logger).migrate(connection)
        print(
            applied.isEmpty
                ? "offload schema: up to date"
                : "offload schema: applied \(applied.map(\.name).joined(separator: ", "))")
        let pool = ConnectionPool(connection, maxConnections: 1, logger: logger)
        defer { pool.close() }
        try await AppSchema.create(on: pool)
        print("app tables: sources, source_documents, outbox")
    }
}
