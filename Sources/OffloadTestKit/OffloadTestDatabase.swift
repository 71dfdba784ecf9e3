import Foundation
import Offload
import PGClient

/// Fresh, migrated databases for tests: the schema is migrated once into a template database, and each
/// test gets `CREATE DATABASE … TEMPLATE` of it (tens of milliseconds), dropped afterwards.
///
/// The server comes from `DATABASE_URL`.
public enum OffloadTestDatabase {
    /// Runs `body` with a pool on a new migrated database, then drops the database.
    public static func with<T>(
        isolation: isolated (any Actor)? = #isolation,
        maxConnections: Int = 20,
        _ body: (ConnectionPool) async throws -> T
    ) async throws -> T {
        try await withConfiguration { configuration in
            let pool = ConnectionPool(configuration, maxConnections: maxConnections)
            defer { pool.close() }
            return try await body(pool)
        }
    }

    /// Runs `body` with the configuration of a new migrated database, then drops the database.
    public static func withConfiguration<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ConnectionConfiguration) async throws -> T
    ) async throws -> T {
        let template = try await TemplateDatabase.shared.name(server: try serverConfiguration())
        return try await withNewDatabase(template: template, body)
    }

    /// An empty database (no Offload schema), for migration tests.
    public static func withEmptyDatabase<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ConnectionConfiguration) async throws -> T
    ) async throws -> T {
        try await withNewDatabase(template: nil, body)
    }

    /// Creates a database (from `template`, when given), runs `body` on it and drops it, also on failure.
    private static func withNewDatabase<T>(
        isolation: isolated (any Actor)? = #isolation,
        template: String?,
        _ body: (ConnectionConfiguration) async throws -> T
    ) async throws -> T {
        let server = try serverConfiguration()
        let name = "offload_test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try await Connection.connect(server)
        var create = "CREATE DATABASE \(try await admin.quoteIdentifier(name))"
        if let template { create += " TEMPLATE \(try await admin.quoteIdentifier(template))" }
        try await admin.execute(Query(unsafeSQL: create))
        do {
            let result = try await body(server.withDatabase(name))
            try await drop(name, using: admin)
            return result
        } catch {
            try? await drop(name, using: admin)
            throw error
        }
    }

    /// `DATABASE_URL`, or an error explaining how to run the tests.
    public static func serverConfiguration() throws -> ConnectionConfiguration {
        guard let configuration = ConnectionConfiguration.fromEnvironment() else {
            throw PGError(.connectionFailed, "DATABASE_URL is not set; run the tests with `make test`")
        }
        return configuration
    }

    private static func drop(_ name: String, using admin: Connection) async throws {
        try await admin.execute(
            Query(unsafeSQL: "DROP DATABASE IF EXISTS \(try await admin.quoteIdentifier(name)) WITH (FORCE)"))
    }
}

/// The migrated template, created once per schema version and reused across test runs.
actor TemplateDatabase {
    static let shared = TemplateDatabase()
    private var created: String?

    func name(server: ConnectionConfiguration) async throws -> String {
        if let created { return created }
        let migrations = Migration.embedded
        let fingerprint = String(migrations.map(\.checksum).joined().hashFingerprint, radix: 16)
        let name = "offload_template_\(fingerprint)"
        let admin = try await Connection.connect(server)
        // Serialise test processes creating the same template.
        try await admin.execute("SELECT pg_advisory_lock(8151126001)")
        defer { Task { [admin] in _ = try? await admin.execute("SELECT pg_advisory_unlock(8151126001)") } }
        let exists =
            try await admin.query("SELECT count(*) AS n FROM pg_database WHERE datname = \(name)").single(Int.self, "n")
            > 0
        if !exists {
            let building = name + "_building"
            let quotedBuilding = try await admin.quoteIdentifier(building)
            try await admin.execute(Query(unsafeSQL: "DROP DATABASE IF EXISTS \(quotedBuilding) WITH (FORCE)"))
            try await admin.execute(Query(unsafeSQL: "CREATE DATABASE \(quotedBuilding)"))
            try await Migrator().migrate(server.withDatabase(building))
            try await admin.execute(
                Query(unsafeSQL: "ALTER DATABASE \(quotedBuilding) RENAME TO \(try await admin.quoteIdentifier(name))"))
        }
        created = name
        return name
    }
}

extension String {
    /// A stable 64-bit FNV-1a hash (Swift's `hashValue` changes every run).
    var hashFingerprint: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
