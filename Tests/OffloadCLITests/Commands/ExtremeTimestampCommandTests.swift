import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// Issue 13, finding 2 ("every reader stays safe"): jobs whose timestamps sit at the ends of
/// PostgreSQL's range are listed and shown; nothing in the CLI traps on them.
@Suite("offload jobs: extreme timestamps")
struct ExtremeTimestampCommandTests {
    @Test func jobsAtTheEndsOfTimeAreListedAndShown() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            var ids: [Int64] = []
            for runAt in [
                "294276-12-31 23:59:59+00", "4713-01-01 00:00:00+00 BC", "1700-01-01 00:00:00+00", "infinity",
                "-infinity",
            ] {
                let id = try await offload.enqueue(function: "edge", arguments: Greet(name: runAt))
                try await pool.execute(
                    "UPDATE offload.jobs SET run_at = \(runAt)::timestamptz, created_at = \(runAt)::timestamptz WHERE id = \(id)"
                )
                ids.append(id)
            }
            let list = try await OffloadProcess.run(["jobs", "list"], databaseURL: url)
            #expect(list.status == 0, "\(list)")
            #expect(list.stdout.split(separator: "\n").count == ids.count + 1, "\(list)")
            let listJSON = try await OffloadProcess.run(["jobs", "list", "--json"], databaseURL: url)
            #expect(try listJSON.jsonArray().count == ids.count, "\(listJSON)")
            for id in ids {
                let show = try await OffloadProcess.run(["jobs", "show", String(id)], databaseURL: url)
                #expect(show.status == 0, "\(show)")
                let json = try await OffloadProcess.run(["jobs", "show", String(id), "--json"], databaseURL: url)
                #expect(try json.jsonObject()["id"] as? Int == Int(id), "\(json)")
            }
        }
    }

    @Test func impossibleTimesAndNULAreRefusedNamingTheOption() async throws {
        try await withCLIDatabase { url, _ in
            let runAt = try await OffloadProcess.run(
                ["enqueue", "f", "--run-at", "2026-02-30T00:00:00Z"], databaseURL: url)
            #expect(runAt.status != 0)
            #expect(
                runAt.stderr.contains("--run-at") && runAt.stderr.contains("February 2026 has 28 days, not 30"),
                "\(runAt)")
            let offset = try await OffloadProcess.run(
                ["enqueue", "f", "--run-at", "2026-01-01T00:00:00+99:00"], databaseURL: url)
            #expect(offset.stderr.contains("--run-at") && offset.stderr.contains("UTC offset"), "\(offset)")
            let prune = try await OffloadProcess.run(["prune", "--older-than", "9999999d"], databaseURL: url)
            #expect(prune.status != 0)
            #expect(prune.stderr.contains("--older-than") && prune.stderr.contains("4713 BC"), "\(prune)")
            let since = try await OffloadProcess.run(
                ["jobs", "retry", "--dead", "--since", "9999999d"], databaseURL: url)
            #expect(since.stderr.contains("--since") && since.stderr.contains("4713 BC"), "\(since)")
            let nul = try await OffloadProcess.run(["enqueue", "f", #"{"a":"\u0000"}"#], databaseURL: url)
            #expect(nul.status != 0)
            #expect(nul.stderr.contains(#"arguments: the string at $.a contains \u0000 (NUL)"#), "\(nul)")
        }
    }
}
