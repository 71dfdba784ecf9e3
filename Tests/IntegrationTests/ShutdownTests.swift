import Foundation
import OffloadTestKit
import PGClient
import Testing

@testable import Offload

@Suite("Shutdown while the database blocks")
struct ShutdownTests {
    /// An operator holds `LOCK TABLE offload.jobs` (a migration, a long `ALTER`) and the worker gets
    /// SIGTERM: its claims, renewals and maintenance are blocked, yet it stops while the lock is still
    /// held (its statements carry a lock timeout, and the claim in flight is cancelled). It used to
    /// wait for the lock, whatever the drain deadline said.
    @Test func aWorkerStopsWhileTheJobsTableStaysLocked() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let greet = Function(id: "greet") { (_: Greet, _: JobContext) in }
            let worker = testWorker(pool: pool, functions: [greet], pollInterval: .milliseconds(50))
            let running = Task { try await worker.run() }
            #expect(try await eventually { try await pool.query("SELECT count(*) AS n FROM offload.workers").single(Int.self, "n") == 1 })

            let locker = try await Connection.connect(pool.configuration)
            try await locker.execute("BEGIN")
            try await locker.execute("LOCK TABLE offload.jobs IN ACCESS EXCLUSIVE MODE")
            // Some statement of the worker's is stuck behind the lock.
            let blocked = try await eventually {
                try await pool.query("""
                    SELECT count(*) AS n
                    FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """).single(Int.self, "n") > 0
            }
            #expect(blocked)

            worker.beginShutdown()
            // A ceiling, not a timing assertion: the point is that it returns before the lock goes.
            let stoppedWhileLocked = await finishes(within: .seconds(60)) { _ = try? await running.value }
            #expect(stoppedWhileLocked)
            try await locker.execute("ROLLBACK")
            _ = try? await running.value
            #expect(try await pool.query("SELECT count(*) AS n FROM offload.workers").single(Int.self, "n") == 0)
        }
    }
}

/// Whether `body` finishes within `ceiling`; it is cancelled if not.
func finishes(within ceiling: Duration, _ body: @escaping @Sendable () async -> Void) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            await body()
            return true
        }
        group.addTask {
            try? await Task.sleep(for: ceiling)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
