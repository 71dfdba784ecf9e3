import Foundation
import Logging
import Offload
import OffloadTestKit
import PGClient
import Testing

/// scripts/create-roles.sql: an app role that can enqueue and nothing more, a worker role that can run
/// jobs, a monitor role that can read the views.
@Suite("Least-privilege roles")
struct SecurityTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/create-roles.sql")

    @Test func eachRoleCanDoItsJobAndNothingMore() async throws {
        try await OffloadTestDatabase.withConfiguration { configuration in
            let owner = try await Connection.connect(configuration)
            let sql = try String(contentsOf: Self.script, encoding: .utf8)
            try await owner.executeUnsafeScript(sql)
            try await owner.executeUnsafeScript(sql)  // idempotent
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
            let app = "offload_test_app_\(suffix)"
            let workerRole = "offload_test_worker_\(suffix)"
            let monitor = "offload_test_monitor_\(suffix)"
            try await owner.execute(Query(unsafeSQL: "CREATE ROLE \(app) LOGIN IN ROLE offload_enqueuer"))
            try await owner.execute(Query(unsafeSQL: "CREATE ROLE \(workerRole) LOGIN IN ROLE offload_worker"))
            try await owner.execute(Query(unsafeSQL: "CREATE ROLE \(monitor) LOGIN IN ROLE offload_monitor"))
            do {
                try await checkRoles(
                    owner: owner, configuration: configuration, app: app, worker: workerRole, monitor: monitor,
                    suffix: suffix)
            } catch {
                await dropRoles([app, workerRole, monitor], using: owner)
                throw error
            }
            await dropRoles([app, workerRole, monitor], using: owner)
        }
    }

    private func dropRoles(_ roles: [String], using owner: Connection) async {
        for role in roles { _ = try? await owner.execute(Query(unsafeSQL: "DROP ROLE IF EXISTS \(role)")) }
    }

    private func checkRoles(
        owner: Connection, configuration: ConnectionConfiguration, app: String, worker workerRole: String,
        monitor: String, suffix: String
    ) async throws {
        do {  // the pools close at the end of this scope
            func pool(_ user: String) -> ConnectionPool {
                ConnectionPool(ConnectionConfiguration(configuration.connectionString(user: user)), maxConnections: 8)
            }
            let appPool = pool(app)
            let workerPool = pool(workerRole)
            let monitorPool = pool(monitor)
            defer { for pool in [appPool, workerPool, monitorPool] { pool.close() } }

            // The app enqueues and sends, in its own transaction too.
            let offload = Offload(pool: appPool)
            let id = try await offload.enqueue(Greet(name: "from the app"))
            try await appPool.transaction { tx in
                try await offload.enqueue(Greet(name: "in a transaction"), on: tx)
                try await offload.send(SourceConnected(sourceId: 1, userId: 2), on: tx)
            }
            #expect(try await offload.enqueueMany([Greet(name: "a"), Greet(name: "b")], on: appPool) == 2)
            #expect(try await count(owner, "true") == 4)

            // …and can do nothing else to jobs.
            let forbidden: [Query] = [
                "UPDATE offload.jobs SET state = 'completed' WHERE id = \(id)",
                "DELETE FROM offload.jobs WHERE id = \(id)",
                "SELECT args FROM offload.jobs WHERE id = \(id)",
                "INSERT INTO offload.jobs (function) VALUES ('smuggled')",
                "TRUNCATE offload.jobs",
                "SELECT offload.cancel(\(id))",
                "SELECT offload.retry(\(id))",
                "SELECT * FROM offload.queue_stats",
                "UPDATE offload.functions SET queue = 'elsewhere'",
            ]
            for query in forbidden {
                let error = await #expect(throws: PGError.self, "\(query.sql)") { try await appPool.execute(query) }
                #expect(error?.sqlState == .insufficientPrivilege, "\(query.sql): \(String(describing: error))")
            }
            #expect(
                try await owner.query("SELECT state FROM offload.jobs WHERE id = \(id)").single(JobState.self, "state")
                    == .available)

            // Without the group role, not even enqueue: EXECUTE is revoked from PUBLIC.
            let stranger = "offload_test_stranger_\(suffix)"
            try await owner.execute(Query(unsafeSQL: "CREATE ROLE \(stranger) LOGIN"))
            try await owner.execute(Query(unsafeSQL: "GRANT USAGE ON SCHEMA offload TO \(stranger)"))
            let strangerPool = pool(stranger)
            let refused = await #expect(throws: PGError.self) {
                try await Offload(pool: strangerPool).enqueue(Greet(name: "x"))
            }
            #expect(refused?.sqlState == .insufficientPrivilege)
            strangerPool.close()
            try await owner.execute(Query(unsafeSQL: "REVOKE ALL ON SCHEMA offload FROM \(stranger)"))
            try await owner.execute(Query(unsafeSQL: "DROP ROLE \(stranger)"))

            // The worker role runs every job (and a handler that enqueues a follow-up).
            let greet = Function(id: "greet") { (input: Greet, context: JobContext) in
                if input.name == "from the app" {
                    try await Offload(pool: context.pool).enqueue(Greet(name: "follow-up"))
                }
            }
            let worker = testWorker(
                pool: workerPool, functions: [greet, Function.on(SourceConnected.self, id: "noop") { _, _ in }])
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await count(owner, "state = 'completed'") == 5 })
            }
            let workerInsert = await #expect(throws: PGError.self) {
                try await workerPool.execute("INSERT INTO offload.jobs (function) VALUES ('smuggled')")
            }
            #expect(workerInsert?.sqlState == .insufficientPrivilege)

            // The monitor reads the views, not the tables.
            #expect(
                try await monitorPool.query("SELECT count(*) AS n FROM offload.throughput").single(Int.self, "n") >= 1)
            let monitorRead = await #expect(throws: PGError.self) {
                try await monitorPool.execute("SELECT * FROM offload.jobs")
            }
            #expect(monitorRead?.sqlState == .insufficientPrivilege)
        }
    }

    /// The enqueue functions run as their owner with a fixed search_path, so a caller's objects
    /// cannot stand in for the ones they use.
    @Test func enqueueFunctionsAreSecurityDefinerWithAFixedSearchPath() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let rows = try await pool.query(
                """
                SELECT p.proname, p.prosecdef, array_to_string(p.proconfig, ',') AS config,
                       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
                FROM pg_proc AS p
                JOIN pg_namespace AS n ON n.oid = p.pronamespace
                WHERE n.nspname = 'offload' AND p.proname IN ('enqueue', 'enqueue_many', 'send')
                ORDER BY p.proname
                """
            ).rows
            #expect(try rows.map { try $0.decode(String.self, "proname") } == ["enqueue", "enqueue_many", "send"])
            for row in rows {
                #expect(try row.decode(Bool.self, "prosecdef"))
                #expect(try row.decode(String?.self, "config") == "search_path=pg_catalog, pg_temp")
                #expect(try row.decode(Bool.self, "public_execute") == false)
            }
        }
    }
}

private func count(_ connection: Connection, _ where: String) async throws -> Int {
    try await connection.query(Query(unsafeSQL: "SELECT count(*) AS n FROM offload.jobs WHERE \(`where`)")).single(
        Int.self, "n")
}
