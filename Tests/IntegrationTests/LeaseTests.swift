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

@Suite("Rescue")
struct RescueTests {
    /// Right after PostgreSQL (re)starts, no lease could have been renewed while it was down, so
    /// rescue waits a lease's length after the server started before taking anyone's jobs.
    @Test func rescueWaitsALeaseAfterTheServerStarted() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await pool.execute("""
                UPDATE offload.jobs
                SET state = 'running', attempt = 1, worker_id = 'gone', lease_until = now() - interval '1 second'
                WHERE id = \(id)
                """)
            let connection = try await Connection.connect(pool.configuration)
            let started = try await connection.query("SELECT extract(epoch FROM now() - pg_postmaster_start_time()) AS s").single(Double.self, "s")
            // A grace longer than the server has been up: too soon, nothing is rescued.
            let tooSoon = try await connection.query(MaintenanceSQL.rescueExpired(graceAfterServerStart: started + 3600))
            #expect(tooSoon.rows.isEmpty)
            #expect(try await JobRow.find(id, in: pool)?.state == .running)
            // Once the grace has passed, it is.
            let rescued = try await connection.query(MaintenanceSQL.rescueExpired(graceAfterServerStart: 0))
            #expect(try rescued.rows.map { try $0.decode(Int64.self, "id") } == [id])
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(job.state == .retryable)
            #expect(job.errors.map(\.type) == ["LeaseExpired"])
        }
    }
}
