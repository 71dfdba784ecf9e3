import Foundation
import Offload
import OffloadLocalPostgres
import OffloadTestKit
import PGClient
import Testing

@testable import OffloadCLI

/// Each way a command can fail prints one understandable `error: …` on standard error and exits
/// non-zero; usage mistakes exit 64 with the usage.
@Suite("offload errors")
struct CommandErrorTests {
    @Test func noDatabaseURLIsAUsageError() async throws {
        let run = try await OffloadProcess.run(["status"], databaseURL: nil)
        #expect(run.status == 64)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("error: no database given: pass --database-url or set DATABASE_URL"))
        #expect(run.stderr.contains("Usage: offload status"))
    }

    @Test func unreachableServerNamesItWithoutThePassword() async throws {
        let port = try LocalCluster.freePort()
        let url = "postgresql://app:hunter2-secret@127.0.0.1:\(port)/app"
        let run = try await OffloadProcess.run(["jobs", "list"], databaseURL: url)
        #expect(run.status == 1)
        #expect(
            run.stderr.hasPrefix(
                "error: cannot connect to PostgreSQL at postgresql://app:***@127.0.0.1:\(port)/app (from DATABASE_URL):"
            ))
        #expect(run.stderr.contains("Connection refused"))
        #expect(run.stderr.contains("hint: is PostgreSQL running there?"))
        #expect(!run.stderr.contains("hunter2"))
        #expect(!run.stdout.contains("hunter2"))

        let flag = try await OffloadProcess.run(["status", "--database-url", url], databaseURL: nil)
        #expect(flag.stderr.contains("(from --database-url)"))
        #expect(!flag.stderr.contains("hunter2"))
    }

    @Test func missingSchemaSaysToMigrate() async throws {
        try await OffloadTestDatabase.withEmptyDatabase { configuration in
            for arguments in [["status"], ["jobs", "list"], ["enqueue", "f"], ["prune"]] {
                let run = try await OffloadProcess.run(arguments, databaseURL: configuration.connectionString())
                #expect(run.status == 1, "\(arguments)")
                #expect(
                    run.stderr == "error: the offload schema is not installed in this database; run `offload migrate`\n"
                )
            }
            let migrate = try await OffloadProcess.run(["migrate"], databaseURL: configuration.connectionString())
            #expect(migrate.status == 0, "\(migrate)")
            #expect(try await OffloadProcess.run(["status"], databaseURL: configuration.connectionString()).status == 0)
        }
    }

    @Test func invalidJSONSaysWhereAndWhat() async throws {
        try await withCLIDatabase { url, pool in
            let run = try await OffloadProcess.run(["enqueue", "greet", #"{"userId": 7,, "x": 1}"#], databaseURL: url)
            #expect(run.status == 1)
            #expect(
                run.stderr
                    == "error: arguments: invalid JSON at character 14: expected a key in double quotes, found ','\n")
            let quotes = try await OffloadProcess.run(["send", "api/x", "{'a': 1}"], databaseURL: url)
            #expect(
                quotes.stderr
                    == "error: event data: invalid JSON at character 2: JSON strings use double quotes, found '\n")
            let array = try await OffloadProcess.run(["enqueue", "greet", "[1, 2]"], databaseURL: url)
            #expect(array.stderr == "error: arguments must be a JSON object such as '{\"userId\": 7}', not an array\n")
            #expect(try await count(pool, "true") == 0)
        }
    }

    @Test func badDurationIsAUsageError() async throws {
        try await withCLIDatabase { url, _ in
            let run = try await OffloadProcess.run(["prune", "--older-than", "7x"], databaseURL: url)
            #expect(run.status == 64)
            #expect(
                run.stderr.hasPrefix(
                    "error: The value '7x' is invalid for '--older-than <duration>': unknown unit \"x\"; use a number and a unit: ms, s, m, h or d"
                ))
            #expect(run.stderr.contains("Usage: offload prune"))

            let delay = try await OffloadProcess.run(["enqueue", "f", "--delay", "soon"], databaseURL: url)
            #expect(delay.status == 64)
            #expect(delay.stderr.contains("expected a number at \"soon\""))

            let since = try await OffloadProcess.run(
                ["jobs", "retry", "--dead", "--since", "yesterday"], databaseURL: url)
            #expect(since.status == 64)
            #expect(since.stderr.contains("\"yesterday\" is neither a duration"))
        }
    }

    @Test func serverRejectionsAreShownWithTheirReason() async throws {
        try await withCLIDatabase { url, _ in
            let run = try await OffloadProcess.run(["enqueue", String(repeating: "f", count: 201)], databaseURL: url)
            #expect(run.status == 1)
            #expect(run.stderr.hasPrefix("error: offload.enqueue: function must be 1 to 200 characters long, got 201"))
            #expect(!run.stderr.contains("PGError("))
        }
    }

    /// A password-protected role on a server of our own (the shared test server trusts everyone on
    /// 127.0.0.1, so a wrong password would pass there).
    @Test(.timeLimit(.minutes(2)))
    func wrongPasswordIsExplainedAndNeverPrinted() async throws {
        // Under /tmp: short, so the socket path fits, and reachable by the server's user.
        var cluster = LocalCluster(
            directory: "/tmp/offload-test-" + UUID().uuidString.prefix(8).lowercased(),
            port: try LocalCluster.freePort())
        cluster.isEphemeral = true
        defer { try? FileManager.default.removeItem(atPath: cluster.directory) }
        _ = try await cluster.start()
        do {
            try await requirePassword(on: cluster, user: "offload_secured", password: "right-horse")
            func url(password: String) -> String {
                "postgresql://offload_secured:\(password)@127.0.0.1:\(cluster.port)/postgres"
            }
            let wrong = try await OffloadProcess.run(["status"], databaseURL: url(password: "wrong-battery-staple"))
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("password authentication failed for user \"offload_secured\""), "\(wrong)")
            #expect(wrong.stderr.contains("hint: check the user name and password in DATABASE_URL"))
            #expect(wrong.stderr.contains("postgresql://offload_secured:***@127.0.0.1"))
            #expect(!wrong.stderr.contains("wrong-battery-staple") && !wrong.stdout.contains("wrong-battery-staple"))

            // The right password gets past authentication, to the next thing missing: the schema.
            let right = try await OffloadProcess.run(["status"], databaseURL: url(password: "right-horse"))
            #expect(
                right.stderr == "error: the offload schema is not installed in this database; run `offload migrate`\n")
            _ = try await cluster.stop()
        } catch {
            _ = try? await cluster.stop()
            throw error
        }
    }

    /// Makes `user` log in over TCP with a SCRAM password, ahead of the cluster's trust rule.
    private func requirePassword(on cluster: LocalCluster, user: String, password: String) async throws {
        let hba = cluster.dataDirectory + "/pg_hba.conf"
        let rules = try String(contentsOfFile: hba, encoding: .utf8)
        // In place (not atomically), so the file keeps its owner: the server may run as another user.
        try ("host all \(user) 127.0.0.1/32 scram-sha-256\n" + rules).write(
            toFile: hba, atomically: false, encoding: .utf8)
        let admin = try await Connection.connect(ConnectionConfiguration(cluster.url()))
        try await admin.execute(
            Query(unsafeSQL: "CREATE ROLE \(try await admin.quoteIdentifier(user)) LOGIN PASSWORD '\(password)'"))
        try await admin.execute("SELECT pg_reload_conf()")
        // The reload is asynchronous: wait until the rule is in force.
        let wrong = ConnectionConfiguration("postgresql://\(user):not-it@127.0.0.1:\(cluster.port)/postgres")
        let enforced = try await eventually {
            do {
                _ = try await Connection.connect(wrong)
                return false
            } catch {
                return true
            }
        }
        try #require(enforced, "pg_hba.conf reload did not take effect")
    }
}
