import Foundation
import OffloadTestKit
import PGClient
import Testing

@testable import Offload

@Suite("Leases")
struct LeaseTests {
    /// The heartbeat must never wait for a row lock: waiting let it deadlock with the same worker's
    /// batch completer, which locks the same rows in another order on another connection.
    @Test func extendingLeasesSkipsJobsLockedElsewhere() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await pool.execute("""
                UPDATE offload.jobs
                SET state = 'running', attempt = 1, worker_id = 'w1', lease_until = now() + interval '1 minute'
                WHERE id = \(id)
                """)
            let locker = try await Connection.connect(pool.configuration)
            try await locker.execute("BEGIN")
            try await locker.execute("SELECT id FROM offload.jobs WHERE id = \(id) FOR UPDATE")

            let heartbeat = try await Connection.connect(pool.configuration)
            // Were the statement to wait, the timeout would fail it instead of hanging the test.
            try await heartbeat.execute("SET statement_timeout = '10s'")
            let whileLocked = try await heartbeat.query(JobSQL.extendLeases(jobIDs: [id], workerID: "w1", leaseSeconds: 60))
            #expect(whileLocked.rows.isEmpty)

            try await locker.execute("ROLLBACK")
            let afterwards = try await heartbeat.query(JobSQL.extendLeases(jobIDs: [id], workerID: "w1", leaseSeconds: 3600))
            #expect(try afterwards.rows.map { try $0.decode(Int64.self, "id") } == [id])
            #expect(try await count(pool, "id = \(id) AND lease_until > now() + interval '59 minutes'") == 1)
            // Another worker's job is never extended.
            #expect(try await heartbeat.query(JobSQL.extendLeases(jobIDs: [id], workerID: "w2", leaseSeconds: 60)).rows.isEmpty)
        }
    }
}
