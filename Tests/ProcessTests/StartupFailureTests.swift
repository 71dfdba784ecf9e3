import Foundation
import Offload
import OffloadLocalPostgres
import OffloadTestKit
import PGClient
import Testing

@testable import OffloadTools

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A worker process started against the wrong database stops at once with a message that says what
/// is wrong, and never prints the password it was given.
@Suite("Worker start-up failures")
struct StartupFailureTests {
    static let password = "Sekr1t-pw-4711"

    /// Runs a worker with `url` in DATABASE_URL (and `environment`) until it exits.
    func startWorker(_ url: String, environment: [String: String] = [:], name: String) async throws -> (
        ChildExitStatus, String
    ) {
        let logs = logDirectory("startup-\(name)")
        var env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        env["DATABASE_URL"] = url
        let child = try ChildProcess.spawn(
            OffloadBinary.path, ["fixture-worker"], environment: env, logFile: "\(logs)/worker.log")
        let status = await child.waitForExit(timeout: .seconds(60))
        if status == nil { child.send(SIGKILL) }
        let output = (try? String(contentsOfFile: child.logFile, encoding: .utf8)) ?? ""
        return (status ?? .signalled(SIGKILL), output)
    }

    func expectClearFailure(_ result: (ChildExitStatus, String), mentions: String) {
        let (status, output) = result
        #expect(status != .exited(0) && status != .signalled(SIGKILL), "\(status): \(output)")
        #expect(output.contains(mentions), "\(output)")
        #expect(!output.contains(Self.password), "the password leaked: \(output)")
    }

    @Test func unreachableServer() async throws {
        let result = try await startWorker("postgresql://app:\(Self.password)@127.0.0.1:1/app", name: "unreachable")
        expectClearFailure(result, mentions: "cannot connect to PostgreSQL")
    }

    @Test func mistypedSchemeEchoedByTheServer() async throws {
        // libpq takes the whole string for a database name and the server echoes it back.
        let server = try OffloadTestDatabase.serverConfiguration()
        let components = URLComponents(string: server.target)
        let result = try await startWorker(
            "postgress://app:\(Self.password)@nowhere/app",
            environment: [
                "PGHOST": components?.host ?? "", "PGPORT": components?.port.map(String.init) ?? "",
                "PGUSER": components?.user ?? "",
            ],
            name: "typo"
        )
        expectClearFailure(result, mentions: "does not exist")
    }

    @Test func databaseThatDoesNotExist() async throws {
        let server = try OffloadTestDatabase.serverConfiguration()
        let url = server.withDatabase("offload_no_such_database").connectionString(password: Self.password)
        let result = try await startWorker(url, name: "no-database")
        expectClearFailure(result, mentions: #"database "offload_no_such_database" does not exist"#)
    }

    @Test func databaseWithoutTheSchema() async throws {
        try await OffloadTestDatabase.withEmptyDatabase { configuration in
            let result = try await startWorker(configuration.connectionString(), name: "no-schema")
            expectClearFailure(
                result, mentions: "the offload schema is not installed in this database; run `offload migrate`")
        }
    }

    @Test func schemaOneMigrationBehind() async throws {
        try await OffloadTestDatabase.withEmptyDatabase { configuration in
            try await Migrator(migrations: Array(Migration.embedded.dropLast())).migrate(configuration)
            let result = try await startWorker(configuration.connectionString(), name: "behind")
            expectClearFailure(result, mentions: "the offload schema is out of date (1 migration(s) pending")
            expectClearFailure(result, mentions: "run `offload migrate`")
        }
    }

    /// Needs password authentication, which the test server (trust) does not do. When the server is
    /// the throwaway cluster `make test` started, a scram-sha-256 rule for one role is added to it;
    /// otherwise a cluster of its own is started for this test.
    @Test func wrongPassword() async throws {
        if let testCluster = try await Self.throwawayTestCluster() {
            try await checkWrongPassword(on: testCluster.configuration, cluster: testCluster)
            return
        }
        guard let cluster = try await PrivateCluster.start("auth-test") else {
            print("wrongPassword: skipped, no PostgreSQL server programs to start a cluster with")
            return
        }
        do {
            try await checkWrongPassword(on: cluster.configuration, cluster: cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func checkWrongPassword(on server: ConnectionConfiguration, cluster: PrivateCluster) async throws {
        let role = "offload_pw_user_\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        try await cluster.prependAuthenticationRule("host all \(role) 127.0.0.1/32 scram-sha-256")
        let admin = try await Connection.connect(server)
        try await admin.execute(Query(unsafeSQL: "CREATE ROLE \(role) LOGIN PASSWORD 'the-right-one'"))
        do {
            // Authentication fails before any database is opened, so the server's default one will do.
            let right = try await Connection.connect(
                ConnectionConfiguration(server.connectionString(user: role, password: "the-right-one"))
            )
            #expect(try await right.query("SELECT current_user AS u").single(String.self, "u") == role)
            let url = server.connectionString(user: role, password: Self.password)
            let result = try await startWorker(url, name: "wrong-password")
            expectClearFailure(result, mentions: "password authentication failed for user \"\(role)\"")
        } catch {
            _ = try? await admin.execute(Query(unsafeSQL: "DROP ROLE IF EXISTS \(role)"))
            throw error
        }
        _ = try? await admin.execute(Query(unsafeSQL: "DROP ROLE IF EXISTS \(role)"))
    }

    /// The cluster `make test` (scripts/with-local-postgres.sh) started for this run, if DATABASE_URL is
    /// it: only then may a test change its authentication rules.
    static func throwawayTestCluster() async throws -> PrivateCluster? {
        let server = try OffloadTestDatabase.serverConfiguration()
        let directory = ProcessInfo.processInfo.environment["OFFLOAD_TEST_DIR"] ?? ".offload/test-postgres"
        let expected = try await LocalCluster.resolve(directory: directory, port: 1).placed()
        let admin = try await Connection.connect(server)
        guard let dataDirectory = try? await admin.query("SHOW data_directory").single(String.self, "data_directory"),
            URL(fileURLWithPath: dataDirectory).standardizedFileURL.path == expected.dataDirectory
        else { return nil }
        return PrivateCluster(cluster: expected, url: server.target)
    }
}
