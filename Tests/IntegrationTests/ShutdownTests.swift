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
            let events = WorkerEvents()
            let worker = testWorker(pool: pool, functions: [greet], pollInterval: .milliseconds(50), events: events)
            try await whileRunning(worker) { () async throws in
                try await events.waitFor(.started)
                let locker = try await Connection.connect(pool.configuration)
                try await locker.execute("BEGIN")
                try await locker.execute("LOCK TABLE offload.jobs IN ACCESS EXCLUSIVE MODE")
                // Some statement of the worker's is stuck behind the lock.
                let blocked = try await eventually {
                    try await pool.query(
                        """
                        SELECT count(*) AS n
                        FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'
                        """
                    ).single(Int.self, "n") > 0
                }
                #expect(blocked)

                worker.beginShutdown()
                // It stops while the lock is still held; a wait that runs out throws (after the lock
                // goes, so the worker can stop all the same).
                do {
                    try await events.first { $0 == .stopped }
                } catch {
                    try await locker.execute("ROLLBACK")
                    throw error
                }
                try await locker.execute("ROLLBACK")
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM offload.workers").single(Int.self, "n") == 0)
        }
    }
}
