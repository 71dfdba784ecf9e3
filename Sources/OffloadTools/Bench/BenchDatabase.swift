import Foundation
import Logging
import Offload
import PGClient

/// The database a benchmark run works in: created fresh on the server, migrated, and dropped at the end.
struct BenchDatabase: Sendable {
    /// The server, as given (its own database is used only to create and drop ours).
    let server: ConnectionConfiguration
    /// Our database's name.
    let name: String
    /// Connections to our database.
    let configuration: ConnectionConfiguration
    /// A URL or conninfo naming our database, for child processes (pgbench, fixture workers).
    let childTarget: String
    /// A small pool for the benchmark's own queries.
    let pool: ConnectionPool

    /// Creates `offload_bench_<pid>`, applies the migrations and adds the bench's own tables.
    static func create(on server: ConnectionConfiguration) async throws -> BenchDatabase {
        let name = "offload_bench_\(getpid())"
        let admin = try await Connection.connect(server)
        let quoted = try await admin.quoteIdentifier(name)
        try await admin.execute(Query(unsafeSQL: "DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)"))
        try await admin.execute(Query(unsafeSQL: "CREATE DATABASE \(quoted)"))
        let configuration = server.withDatabase(name)
        var logger = Logger(label: "offload.bench")
        logger.logLevel = .warning
        try await Migrator(logger: logger).migrate(configuration)
        let setup = try await Connection.connect(configuration)
        try await setup.executeUnsafeScript(BenchSQL.createBenchSchema)
        return BenchDatabase(
            server: server, name: name, configuration: configuration,
            childTarget: Self.target(server.target, naming: name),
            pool: ConnectionPool(configuration, maxConnections: 8, logger: logger)
        )
    }

    /// Drops the database (and with it everything the run wrote); connections still open are cut.
    func drop() async throws {
        pool.close()
        let admin = try await Connection.connect(server)
        let quoted = try await admin.quoteIdentifier(name)
        try await admin.execute(Query(unsafeSQL: "DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)"))
    }

    /// Empties the tables the scenarios write to.
    func reset() async throws {
        try await pool.execute(BenchSQL.reset)
    }

    /// Lets the server settle before a measurement: vacuums the jobs table, waits until no autovacuum
    /// worker runs (for at most 60 seconds), then checkpoints, so the measurement neither competes
    /// with clean-up left by the previous one nor meets a checkpoint it did not cause. Without these,
    /// repeated runs on a 2-core machine differ by a factor of two or more.
    func settle() async throws {
        try await pool.execute(BenchSQL.vacuumJobs)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, try await pool.query(BenchSQL.autovacuumWorkers).single(Int.self, "n") > 0
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        // Needs superuser or pg_checkpoint; without them the run is only noisier.
        _ = try? await pool.execute("CHECKPOINT")
    }

    /// Waits until no job is waiting or running (scheduled ones aside), checking every `interval`.
    func waitUntilDrained(interval: Duration = .milliseconds(20), timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await pool.query(BenchSQL.anyUnfinished).single(Bool.self, "busy") {
            guard ContinuousClock.now < deadline else {
                let waiting = try await pool.query(BenchSQL.waiting).single(Int.self, "waiting")
                throw BenchError("jobs were still unfinished after \(timeout) (\(waiting) waiting)")
            }
            try await Task.sleep(for: interval)
        }
    }

    /// `target` (a URL or a conninfo string) with its database replaced by `database`.
    static func target(_ target: String, naming database: String) -> String {
        if target.contains("://"), var components = URLComponents(string: target) {
            components.path = "/" + database
            if let string = components.string { return string }
        }
        // In a conninfo string the last value of a keyword wins.
        return target + " dbname=" + database
    }
}
