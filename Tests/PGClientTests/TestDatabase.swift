import Foundation
import PGClient
import Testing

/// A database of its own for one test, created on the server named by `DATABASE_URL` and dropped after.
enum TestDatabase {
    static var serverConfiguration: ConnectionConfiguration {
        get throws {
            guard let configuration = ConnectionConfiguration.fromEnvironment() else {
                throw PGError(.connectionFailed, "DATABASE_URL is not set; run the tests with `make test`")
            }
            return configuration
        }
    }

    /// Runs `body` with a configuration pointing at a fresh, empty database, then drops it.
    static func with<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ConnectionConfiguration) async throws -> T
    ) async throws -> T {
        let server = try serverConfiguration
        let name = "offload_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await Connection.connect(server)
        try await admin.execute(Query(unsafeSQL: "CREATE DATABASE \(try await admin.quoteIdentifier(name))"))
        do {
            let result = try await body(server.withDatabase(name))
            try await drop(name, using: admin)
            return result
        } catch {
            try? await drop(name, using: admin)
            throw error
        }
    }

    private static func drop(_ name: String, using admin: Connection) async throws {
        try await admin.execute(
            Query(unsafeSQL: "DROP DATABASE IF EXISTS \(try await admin.quoteIdentifier(name)) WITH (FORCE)"))
    }
}
