import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@testable import OffloadCLI

/// A worker process started against the wrong database stops at once with a message that says what
/// is wrong, and never prints the password it was given.
@Suite("Worker start-up failures")
struct StartupFailureTests {
    static let password = "Sekr1t-pw-4711"

    /// Runs a worker with `url` in DATABASE_URL (and `environment`) until it exits.
    func startWorker(_ url: String, environment: [String: String] = [:], name: String) async throws -> (ChildExitStatus, String) {
        let logs = logDirectory("startup-\(name)")
        var env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        env["DATABASE_URL"] = url
        let child = try ChildProcess.spawn(OffloadBinary.path, ["fixture-worker"], environment: env, logFile: "\(logs)/worker.log")
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
            environment: ["PGHOST": components?.host ?? "", "PGPORT": components?.port.map(String.init) ?? "", "PGUSER": components?.user ?? ""],
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
            expectClearFailure(result, mentions: "the offload schema is not installed in this database; run `offload migrate`")
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

    /// Needs password authentication, which the shared test server (trust) does not do: a cluster of
    /// its own, with a scram-sha-256 rule for one role.
    @Test func wrongPassword() async throws {
        guard let cluster = try await PrivateCluster.start("auth-test") else {
            print("wrongPassword: skipped, no PostgreSQL server programs to start a cluster with")
            return
        }
        do {
            try await cluster.prependAuthenticationRule("host all offload_pw_user 127.0.0.1/32 scram-sha-256")
            let admin = try await Connection.connect(cluster.configuration)
            try await admin.execute(Query(sql: "CREATE ROLE offload_pw_user LOGIN PASSWORD 'the-right-one'"))
            try await Migrator().migrate(cluster.configuration)
            let right = try await Connection.connect(
                ConnectionConfiguration(cluster.configuration.connectionString(user: "offload_pw_user", password: "the-right-one"))
            )
            #expect(try await right.query("SELECT current_user AS u").single(String.self, "u") == "offload_pw_user")

            let url = cluster.configuration.connectionString(user: "offload_pw_user", password: Self.password)
            let result = try await startWorker(url, name: "wrong-password")
            expectClearFailure(result, mentions: #"password authentication failed for user "offload_pw_user""#)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }
}
