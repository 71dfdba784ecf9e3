import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// `offload health` and `offload.health`, against a real database.
@Suite("offload health")
struct HealthCommandTests {
    /// A session left idle in a transaction (a forgotten BEGIN) holds back vacuum: health names it by
    /// pid and application, in the view, the table and the JSON.
    @Test func namesAnIdleInTransactionSessionThatHoldsBackVacuum() async throws {
        try await withCLIDatabase { url, pool in
            var holderConfiguration = pool.configuration
            holderConfiguration.applicationName = "forgotten-begin"
            let holder = try await Connection.connect(holderConfiguration)
            try await holder.execute("BEGIN")
            _ = try await holder.query("SELECT txid_current() AS xid")
            let pid = holder.backendPID

            let row = try await pool.query(
                """
                SELECT status, summary FROM offload.health WHERE name = 'oldest transaction'
                """
            ).rows.first
            let summary = try #require(try row?.decode(String.self, "summary"))
            #expect(summary.contains("pid \(pid)"), "\(summary)")
            #expect(summary.contains("\"forgotten-begin\""), "\(summary)")
            #expect(summary.contains("idle in transaction"), "\(summary)")

            let table = try await OffloadProcess.run(["health"], databaseURL: url)
            #expect(table.status == 0, "\(table)")
            #expect(table.stdout.contains("pid \(pid)"), "\(table)")

            let run = try await OffloadProcess.run(["health", "--json"], databaseURL: url)
            let checks = try #require(try run.jsonObject()["checks"] as? [[String: Any]])
            let names = checks.compactMap { $0["name"] as? String }
            #expect(names.contains("oldest transaction"))
            #expect(names.contains("claim latency"))
            #expect(names.contains("vacuum: offload.jobs"))
            let latency = try #require(checks.first { $0["name"] as? String == "claim latency" })
            // The test's login may claim, so the claim was measured (a number of milliseconds).
            #expect(latency["value"] is Double || latency["value"] is Int, "\(latency)")
            try await holder.execute("ROLLBACK")
        }
    }

    /// Jobs whose lease ran out over a minute ago and that nobody rescued are a warning with advice.
    @Test func stuckLeasesAreAWarningWithAdvice() async throws {
        try await withCLIDatabase { url, pool in
            try await pool.execute(
                """
                INSERT INTO offload.jobs (queue, function, state, attempt, worker_id, lease_until)
                VALUES ('default', 'greet', 'running', 1, 'wedged', now() - interval '5 minutes')
                """)
            let run = try await OffloadProcess.run(["health"], databaseURL: url)
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("1 running jobs outlived their lease"), "\(run)")
            #expect(run.stdout.contains("What to do:"), "\(run)")
            // The probe claimed nothing for good: the waiting job is untouched.
            #expect(
                try await pool.query("SELECT count(*) AS n FROM offload.jobs WHERE worker_id = 'offload-health-probe'")
                    .single(Int.self, "n") == 0)
        }
    }
}
