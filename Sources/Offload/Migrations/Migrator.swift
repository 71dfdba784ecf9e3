import Foundation
import Logging
import PGClient

/// Brings the `offload` schema up to date with the migrations embedded in this library.
///
/// Forward-only and versioned: each pending version runs in its own transaction and is recorded in
/// `offload.migrations` with its checksum. A session advisory lock serialises concurrent migrators,
/// so five processes starting at once apply each version exactly once.
public struct Migrator: Sendable {
    /// The migrations this build knows, in version order.
    public let migrations: [Migration]
    let logger: Logger

    /// A migrator for the embedded migrations (or others, for tests).
    public init(migrations: [Migration] = Migration.embedded, logger: Logger = Logger(label: "offload.migrate")) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// The advisory-lock key that serialises migrators.
    static let lockKey: Int64 = 0x6f66_666c_6f61_6402

    /// Applies every pending migration; returns the versions applied (empty when up to date).
    @discardableResult
    public func migrate(_ configuration: ConnectionConfiguration) async throws -> [Migration] {
        let connection = try await Connection.connect(configuration)
        try await connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        do {
            let applied = try await migrate(on: connection)
            try await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))")
            return applied
        } catch {
            _ = try? await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))")
            throw error
        }
    }

    private func migrate(on connection: Connection) async throws -> [Migration] {
        try await connection.executeUnsafeScript(MigrationSQL.createLedger)
        let status = try await status(on: connection)
        try status.throwIfInconsistent()
        var applied: [Migration] = []
        for migration in status.pending {
            logger.info(
                "applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            try await connection.transaction { connection in
                try await connection.executeUnsafeScript(migration.sql)
                try await connection.execute(MigrationSQL.record(migration))
            }
            applied.append(migration)
        }
        return applied
    }

    /// Which migrations are applied and which are pending, without changing anything.
    public func status(_ configuration: ConnectionConfiguration) async throws -> SchemaStatus {
        let connection = try await Connection.connect(configuration)
        return try await status(on: connection)
    }

    func status(on connection: Connection) async throws -> SchemaStatus {
        let ledgerExists = try await connection.query(MigrationSQL.ledgerExists).single(Bool.self, "exists")
        var applied: [AppliedMigration] = []
        if ledgerExists {
            applied = try await connection.query(MigrationSQL.appliedMigrations).rows.map { row in
                AppliedMigration(
                    version: try row.decode(Int.self, "version"),
                    name: try row.decode(String.self, "name"),
                    checksum: try row.decode(String.self, "checksum"),
                    appliedAt: try row.decode(Date.self, "applied_at")
                )
            }
        }
        return SchemaStatus(known: migrations, applied: applied)
    }

    /// Throws a `SchemaError` telling the user to run `offload migrate` when the schema is missing or
    /// behind, or that this build is too old when the database is ahead.
    public func requireCurrent(_ configuration: ConnectionConfiguration) async throws {
        try await status(configuration).throwIfNotCurrent()
    }
}

/// A migration recorded in `offload.migrations`.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date
}

/// The database's schema compared with this build's migrations.
public struct SchemaStatus: Sendable {
    /// This build's migrations.
    public let known: [Migration]
    /// What the database has applied.
    public let applied: [AppliedMigration]

    /// Known migrations not applied yet, in order.
    public var pending: [Migration] {
        let appliedVersions = Set(applied.map(\.version))
        return known.filter { !appliedVersions.contains($0.version) }
    }

    /// Applied migrations whose file changed since (checksum differs).
    public var changed: [Migration] {
        let checksums = Dictionary(applied.map { ($0.version, $0.checksum) }, uniquingKeysWith: { first, _ in first })
        return known.filter { migration in checksums[migration.version].map { $0 != migration.checksum } ?? false }
    }

    /// Applied versions this build does not know: the database is newer than the code.
    public var unknown: [AppliedMigration] {
        let knownVersions = Set(known.map(\.version))
        return applied.filter { !knownVersions.contains($0.version) }
    }

    func throwIfInconsistent() throws {
        if let newest = unknown.map(\.version).max() {
            throw SchemaError(
                .databaseNewer,
                "the database has offload schema version \(newest), newer than this build knows (up to \(known.last?.version ?? 0)); upgrade Offload"
            )
        }
        if let migration = changed.first {
            throw SchemaError(
                .checksumMismatch,
                "migration \(migration.version) (\(migration.name)) was applied with different contents; migrations are forward-only: add a new one instead of editing an applied one"
            )
        }
    }

    func throwIfNotCurrent() throws {
        try throwIfInconsistent()
        if applied.isEmpty {
            throw SchemaError(.missing, "the offload schema is not installed in this database; run `offload migrate`")
        }
        if let first = pending.first {
            throw SchemaError(
                .outdated,
                "the offload schema is out of date (\(pending.count) migration(s) pending, starting with \(first.version) \(first.name)); run `offload migrate`"
            )
        }
    }
}

/// The schema is missing, behind, ahead, or was edited after being applied.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Code: Sendable, Equatable {
        case missing, outdated, databaseNewer, checksumMismatch
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The migrator's own statements.
enum MigrationSQL {
    static let createLedger = """
        CREATE SCHEMA IF NOT EXISTS offload;
        CREATE TABLE IF NOT EXISTS offload.migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """

    /// Returns: `exists`.
    static let ledgerExists: Query = "SELECT to_regclass('offload.migrations') IS NOT NULL AS exists"

    /// Returns: `version`, `name`, `checksum`, `applied_at`.
    static let appliedMigrations: Query = """
        SELECT version, name, checksum, applied_at
        FROM offload.migrations
        ORDER BY version
        """

    /// Binds: version, name, checksum.
    static func record(_ migration: Migration) -> Query {
        """
        INSERT INTO offload.migrations (version, name, checksum)
        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
        """
    }
}
