import ArgumentParser
import Logging
import Offload

/// `offload migrate [--status]`: bring the `offload` schema up to date, or show where it stands.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or update the offload schema (forward-only, safe to run concurrently).",
        discussion: """
            Applies every pending migration, each in its own transaction, under an advisory lock. \
            Running it again changes nothing. With --status, lists applied and pending versions.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "List applied and pending migrations without changing anything.")
    var status = false

    func run() async throws {
        let configuration = try database.configuration()
        var logger = Logger(label: "offload.migrate")
        logger.logLevel = .warning
        let migrator = Migrator(logger: logger)
        if status {
            let schema = try await database.checked(configuration) { try await migrator.status(configuration) }
            let applied = Dictionary(schema.applied.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
            var rows = [["VERSION", "NAME", "STATE", "APPLIED AT"]]
            for migration in migrator.migrations {
                let record = applied[migration.version]
                let state = record == nil ? "pending" : (record?.checksum == migration.checksum ? "applied" : "CHANGED")
                rows.append([
                    String(migration.version), migration.name, state,
                    record.map { HumanFormat.timestamp($0.appliedAt) } ?? "",
                ])
            }
            for unknown in schema.unknown {
                rows.append([
                    String(unknown.version), unknown.name, "unknown to this build",
                    HumanFormat.timestamp(unknown.appliedAt),
                ])
            }
            print(TextTable.render(rows, rightAligned: [0]))
            return
        }
        let applied = try await database.checked(configuration) { try await migrator.migrate(configuration) }
        if applied.isEmpty {
            print("offload schema is up to date (version \(migrator.migrations.last?.version ?? 0))")
        } else {
            for migration in applied { print("applied \(migration.version) \(migration.name)") }
        }
    }
}
