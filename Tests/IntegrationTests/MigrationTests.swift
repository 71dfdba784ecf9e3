import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

@Suite("Migrations")
struct MigrationTests {
    @Test func secondRunChangesNothing() async throws {
        try await OffloadTestDatabase.withEmptyDatabase { configuration in
            let migrator = Migrator()
            let first = try await migrator.migrate(configuration)
            #expect(first.map(\.version) == Migration.embedded.map(\.version))
            let second = try await migrator.migrate(configuration)
            #expect(second.isEmpty)
            let status = try await migrator.status(configuration)
            #expect(status.pending.isEmpty)
            #expect(status.applied.map(\.version) == Migration.embedded.map(\.version))
            try await migrator.requireCurrent(configuration)
        }
    }

    @Test func fiveConcurrentMigratorsApplyEachVersionOnce() async throws {
        try await OffloadTestDatabase.withEmptyDatabase { configuration in
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<5 {
                    group.addTask { try await Migrator().migrate(configuration).map(\.version) }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(applied.sorted() == Migration.embedded.map(\.version))
            let connection = try await Connection.connect(configuration)
            let rows = try await connection.query("SELECT count(*) AS n FROM offload.migrations").single(Int.self, "n")
            #expect(rows == Migration.embedded.count)
        }
    }

    @Test func changedMigrationIsDetected() async throws {
        try await OffloadTestDatabase.withEmptyDatabase { configuration in
            try await Migrator().migrate(configuration)
            var edited = Migration.embedded
            let last = try #require(Migration.embedded.last)
            edited.removeLast()
            edited.append(Migration(version: last.version, name: last.name, sql: last.sql + "\n-- edited\n"))
            let error = try await #require(throws: SchemaError.self) {
                try await Migrator(migrations: edited).migrate(configuration)
            }
            #expect(error.code == .checksumMismatch)
            #expect(error.description.contains("\(last.version)"))
        }
    }

    @Test func missingBehindAndNewerSchemasAreClearErrors() async throws {
        try await OffloadTestDatabase.withEmptyDatabase { configuration in
            let missing = try await #require(throws: SchemaError.self) {
                try await Migrator().requireCurrent(configuration)
            }
            #expect(missing.code == .missing)
            #expect(missing.description.contains("offload migrate"))

            let allButLast = Array(Migration.embedded.dropLast())
            try await Migrator(migrations: allButLast).migrate(configuration)
            let behind = try await #require(throws: SchemaError.self) {
                try await Migrator().requireCurrent(configuration)
            }
            #expect(behind.code == .outdated)
            #expect(behind.description.contains("offload migrate"))

            try await Migrator().migrate(configuration)
            let newer = try await #require(throws: SchemaError.self) {
                try await Migrator(migrations: allButLast).requireCurrent(configuration)
            }
            #expect(newer.code == .databaseNewer)
        }
    }
}
