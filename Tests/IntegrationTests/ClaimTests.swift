import Foundation
import OffloadTestKit
import PGClient
import Testing

@testable import Offload

@Suite("The claim")
struct ClaimTests {
    /// Claims `queue` at `at` for worker "w" and returns the claimed ids, sorted.
    private func claim(_ pool: ConnectionPool, at: Date? = nil, limit: Int = 100) async throws -> [Int64] {
        let query = JobSQL.claimAvailable(queue: "default", limit: limit, workerID: "w", leaseSeconds: 60, at: at)
        return try await pool.query(query).rows.map { try $0.decode(Int64.self, "id") }.sorted()
    }

    /// A job scheduled for later and a job waiting out its retry backoff become claimable exactly at
    /// their time, not before (the claim's time is injected).
    @Test func scheduledAndBackingOffJobsBecomeClaimableAtTheirTime() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let now = try await pool.query("SELECT now() AS now").single(Date.self, "now")
            let inAnHour = now.addingTimeInterval(3_600)
            let scheduled = try await Offload(pool: pool).enqueue(
                Greet(name: "later"), options: JobOptions(runAt: inAnHour))
            let retrying = try await Offload(pool: pool).enqueue(Greet(name: "retry"))
            let retryAt = inAnHour.addingTimeInterval(60)
            try await pool.execute(
                """
                UPDATE offload.jobs SET state = 'retryable', attempt = 1, run_at = \(retryAt)::timestamptz WHERE id = \(retrying)
                """)

            #expect(try await claim(pool, at: now).isEmpty)
            #expect(try await claim(pool, at: inAnHour.addingTimeInterval(-0.001)).isEmpty)
            #expect(try await claim(pool, at: inAnHour) == [scheduled])
            #expect(try await claim(pool, at: inAnHour.addingTimeInterval(59)).isEmpty)
            #expect(try await claim(pool, at: inAnHour.addingTimeInterval(60)) == [retrying])
            #expect(try await count(pool, "state = 'running' AND worker_id = 'w'") == 2)
        }
    }

    /// Priority still comes first, then run_at, then id; and the limit holds across priorities.
    @Test func claimsLowestPriorityFirstAcrossPriorities() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            var byPriority: [Int: [Int64]] = [:]
            for priority in [5, -3, 0, 5, -3, 100, -100] {
                let id = try await Offload(pool: pool).enqueue(
                    Greet(name: "\(priority)"), options: JobOptions(priority: priority))
                byPriority[priority, default: []].append(id)
            }
            let first = try await claim(pool, limit: 3)
            #expect(first == (byPriority[-100]! + byPriority[-3]!).sorted())
            let rest = try await claim(pool, limit: 100)
            #expect(rest == (byPriority[0]! + byPriority[5]! + byPriority[100]!).sorted())
        }
    }

    /// The claim's cost does not grow with jobs waiting in the future: with 100,000 scheduled for
    /// tomorrow (at two priorities) and 5 due, it touches a few dozen buffers, not the hundreds of
    /// index pages that hold the future jobs' entries (the claim before migration 9 read them all).
    /// Counted by PostgreSQL itself (EXPLAIN's buffer counts), not timed.
    @Test func aClaimReadsNoFutureJobs() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.execute(
                """
                INSERT INTO offload.jobs (queue, function, args, run_at, priority)
                SELECT 'default', 'greet', '{"name": "later"}', now() + interval '1 day' + i * interval '1 ms', i % 2
                FROM generate_series(1, 100000) AS i
                """)
            try await pool.execute(
                """
                INSERT INTO offload.jobs (queue, function, args, run_at)
                SELECT 'default', 'greet', '{"name": "now"}', now() - interval '1 minute'
                FROM generate_series(1, 5)
                """)
            try await pool.execute("ANALYZE offload.jobs")
            let indexPages = try await pool.query(
                "SELECT relpages FROM pg_class WHERE oid = 'offload.jobs_claim_idx'::regclass"
            ).single(Int.self, "relpages")
            let (claimed, blocks) = try await pool.withConnection { connection in
                // The first claim of a session plans the function's statements (catalog reads): warm up
                // on another queue, which claims nothing.
                _ = try await connection.query("SELECT * FROM offload.claim('elsewhere', 100, 'w', 60)")
                let plan = try await connection.query(
                    """
                    EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
                    SELECT * FROM offload.claim('default', 100, 'w', 60)
                    """
                ).single(String.self, "QUERY PLAN")
                // Every buffer the function touched, inside it too, is counted on its scan node.
                let node = try #require(
                    (try JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]])?.first?["Plan"]
                        as? [String: Any])
                let blocks = (node["Shared Hit Blocks"] as? Int ?? 0) + (node["Shared Read Blocks"] as? Int ?? 0)
                return (node["Actual Rows"] as? Int ?? -1, blocks)
            }
            #expect(claimed == 5)
            #expect(indexPages > 300, "the future jobs must fill many index pages for this test to mean anything")
            // Probes per priority (0, 1, none), the 5 due rows and their updates: a few dozen buffers.
            // The claim before migration 9 walked every page of the future jobs' entries.
            #expect(
                blocks < indexPages / 2, "the claim touched \(blocks) buffers; the claim index has \(indexPages) pages")
        }
    }
}
