import Foundation
import PGClient

/// Login roles in the groups of scripts/create-roles.sql (offload_enqueuer, offload_worker,
/// offload_monitor), for one test database: for tests that check what each documented role can do.
///
/// Roles are cluster-wide and suites run in parallel, so each set has a random suffix, and `with`
/// drops what it created (also on failure). The group roles stay: the script creates them once.
public struct OffloadTestRoles: Sendable {
    /// scripts/create-roles.sql of this package.
    public static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/create-roles.sql")

    /// The test database, as its owner.
    public let configuration: ConnectionConfiguration
    /// What makes this set's role names unique.
    public let suffix: String
    /// A login in `offload_enqueuer`.
    public var enqueuer: String { "offload_test_enq_\(suffix)" }
    /// A login in `offload_worker`.
    public var worker: String { "offload_test_wrk_\(suffix)" }
    /// A login in `offload_monitor`.
    public var monitor: String { "offload_test_mon_\(suffix)" }
    /// The three logins.
    public var all: [String] { [enqueuer, worker, monitor] }

    /// The configuration of `configuration`'s database, logging in as `user`.
    public func configuration(as user: String) -> ConnectionConfiguration {
        ConnectionConfiguration(configuration.connectionString(user: user))
    }

    /// Runs scripts/create-roles.sql in the database, creates one login per group, runs `body`, then
    /// removes the logins and whatever they own in the database.
    public static func with<T>(
        _ configuration: ConnectionConfiguration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (OffloadTestRoles, Connection) async throws -> T
    ) async throws -> T {
        let owner = try await Connection.connect(configuration)
        try await owner.executeUnsafeScript(try String(contentsOf: script, encoding: .utf8))
        let roles = OffloadTestRoles(
            configuration: configuration, suffix: String(UInt32.random(in: 0...UInt32.max), radix: 16))
        try await owner.execute(Query(unsafeSQL: "CREATE ROLE \(roles.enqueuer) LOGIN IN ROLE offload_enqueuer"))
        try await owner.execute(Query(unsafeSQL: "CREATE ROLE \(roles.worker) LOGIN IN ROLE offload_worker"))
        try await owner.execute(Query(unsafeSQL: "CREATE ROLE \(roles.monitor) LOGIN IN ROLE offload_monitor"))
        do {
            let result = try await body(roles, owner)
            await roles.drop(using: owner)
            return result
        } catch {
            await roles.drop(using: owner)
            throw error
        }
    }

    /// Drops `extra` roles too (created by the test in this database).
    public func drop(using owner: Connection, extra: [String] = []) async {
        for role in all + extra {
            _ = try? await owner.execute(Query(unsafeSQL: "DROP OWNED BY \(role)"))
            _ = try? await owner.execute(Query(unsafeSQL: "DROP ROLE IF EXISTS \(role)"))
        }
    }
}
