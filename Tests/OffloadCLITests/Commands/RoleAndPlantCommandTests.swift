import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// Every CLI command as the role docs/security.md gives it to, and every command among planted
/// operators (issue 13, findings 1 and 5).
@Suite("CLI commands: roles and planted operators")
struct RoleAndPlantCommandTests {
    /// Monitors read (`status`, `health`), enqueuers enqueue and send, operators holding
    /// `offload_worker` list, show, cancel, retry and prune: each runs its commands with its own login.
    @Test func eachRoleRunsItsDocumentedCommands() async throws {
        try await OffloadTestDatabase.withConfiguration { configuration in
            try await OffloadTestRoles.with(configuration) { roles, owner in
                try await owner.execute("INSERT INTO offload.functions (id, events) VALUES ('greet', '{greeted}')")
                func run(_ user: String, _ arguments: [String]) async throws -> OffloadRun {
                    let run = try await OffloadProcess.run(
                        arguments, databaseURL: roles.configuration.connectionString(user: user))
                    #expect(run.status == 0, "\(user): offload \(arguments.joined(separator: " ")): \(run)")
                    return run
                }

                let enqueued = try await run(roles.enqueuer, ["enqueue", "greet", #"{"name": "a"}"#])
                let id = try #require(
                    Int64(enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(enqueued)")
                let sent = try await run(roles.enqueuer, ["send", "greeted", #"{"name": "b"}"#])
                #expect(Int64(sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "\(sent)")

                _ = try await run(roles.monitor, ["status"])
                _ = try await run(roles.monitor, ["status", "--json"])
                let health = try await run(roles.monitor, ["health"])
                #expect(health.stdout.contains("claim latency"), "\(health)")

                _ = try await run(roles.worker, ["jobs", "list"])
                _ = try await run(roles.worker, ["jobs", "show", "\(id)"])
                _ = try await run(roles.worker, ["jobs", "cancel", "\(id)"])
                _ = try await run(roles.worker, ["jobs", "retry", "\(id)"])
                _ = try await run(roles.worker, ["jobs", "retry", "--dead", "--dry-run"])
                _ = try await run(roles.worker, ["prune", "--older-than", "1d"])
                let measured = try await run(roles.worker, ["health", "--json"])
                #expect(measured.stdout.contains("\"claim latency\""), "\(measured)")
            }
        }
    }

    /// The owner runs every command with public ahead of pg_catalog on its session's search path
    /// (PGOPTIONS), after an enqueuer planted operators and functions there: the CLI pins its own
    /// search path, so none runs and nobody becomes a superuser (as `offload jobs cancel` once made
    /// the planter one).
    @Test func noCommandRunsPlantedCode() async throws {
        try await OffloadTestDatabase.withConfiguration { configuration in
            try await OffloadTestRoles.with(configuration) { roles, owner in
                try await SearchPathPlants.withPlants(roles: roles, owner: owner) { attacker, _ in
                    try await runCommandsAmongPlants(roles: roles, owner: owner, attacker: attacker)
                }
            }
        }
    }

    private func runCommandsAmongPlants(roles: OffloadTestRoles, owner: Connection, attacker: String) async throws {
        let hitsBefore = try await SearchPathPlants.hits(owner)

        try await owner.execute("INSERT INTO offload.functions (id, events) VALUES ('greet', '{greeted}')")
        let waiting = try await owner.query("SELECT offload.enqueue('greet', '{}') AS id").single(Int64.self, "id")
        let dead = try await owner.query("SELECT offload.enqueue('greet', '{}') AS id").single(Int64.self, "id")
        try await owner.execute(
            """
            UPDATE offload.jobs SET state = 'dead', attempt = 1, finished_at = now() - interval '2 days',
                errors = '[{"at": "2026-01-01T00:00:00Z", "attempt": 1, "message": "m", "type": "T"}]'
            WHERE id = \(dead)
            """)
        try await owner.execute(
            """
            INSERT INTO offload.workers (id, hostname, pid, queues, concurrency, lease_seconds)
            VALUES ('w', 'h', 1, '{default}', 1, 30)
            """)

        let hostile = ["PGOPTIONS": "-c search_path=public,pg_catalog"]
        let commands: [[String]] = [
            ["migrate"],
            ["status"], ["status", "--json"], ["health"], ["health", "--json"],
            ["jobs", "list"], ["jobs", "list", "--state", "dead", "--json"], ["jobs", "show", "\(dead)"],
            ["jobs", "retry", "--dead", "--dry-run"], ["jobs", "retry", "\(dead)"],
            ["jobs", "retry", "--dead", "--to-queue", "other"], ["jobs", "cancel", "\(waiting)"],
            ["enqueue", "greet", "{}", "--run-at", "2030-01-01T00:00:00Z"], ["send", "greeted", #"{"x": 1}"#],
            ["prune", "--older-than", "1h"],
        ]
        for arguments in commands {
            let run = try await OffloadProcess.run(
                arguments, databaseURL: roles.configuration.connectionString(), environment: hostile)
            #expect(run.status == 0, "offload \(arguments.joined(separator: " ")): \(run)")
        }

        let calls = try await SearchPathPlants.calls(owner)
        #expect(calls == [], "planted code ran: \(calls)")
        #expect(try await SearchPathPlants.hits(owner) == hitsBefore)
        let escalated = try await owner.query(
            Query(
                unsafeSQL: """
                    SELECT count(*) AS n FROM pg_roles
                    WHERE rolname = '\(attacker)' AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication)
                    """)
        ).single(Int.self, "n")
        #expect(escalated == 0)
    }
}
