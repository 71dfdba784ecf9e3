import Foundation
import OffloadTestKit
import PGClient
import Synchronization
import Testing

@testable import Offload

@Suite("Leases")
struct LeaseTests {
    /// The renewal must never wait for a row lock: waiting let it deadlock with the same worker's
    /// batch completer, which locks the same rows in another order on another connection.
    @Test func renewingLeasesSkipsJobsLockedElsewhere() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await pool.execute("INSERT INTO offload.workers (id) VALUES ('w1')")
            try await pool.execute(
                """
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
            let whileLocked = try await heartbeat.query(
                WorkerSQL.renewLeases(jobIDs: [id], workerID: "w1", leaseSeconds: 60))
            #expect(whileLocked.rows.isEmpty)

            try await locker.execute("ROLLBACK")
            let afterwards = try await heartbeat.query(
                WorkerSQL.renewLeases(jobIDs: [id], workerID: "w1", leaseSeconds: 3600))
            #expect(try afterwards.rows.map { try $0.decode(Int64.self, "id") } == [id])
            #expect(try await count(pool, "id = \(id) AND lease_until > now() + interval '59 minutes'") == 1)
            // The renewal is on record, and every lease it renewed ends after it.
            let renewedAt = "(SELECT leases_renewed_at FROM offload.workers WHERE id = 'w1')"
            #expect(try await count(pool, "id = \(id) AND lease_until > \(renewedAt)") == 1)
            // Another worker's job is never renewed.
            #expect(
                try await heartbeat.query(WorkerSQL.renewLeases(jobIDs: [id], workerID: "w2", leaseSeconds: 60)).rows
                    .isEmpty)
        }
    }

    /// The jobs a worker holds are running ones and finished ones whose outcome is not written yet;
    /// a heartbeat renews both, and nothing else of the worker's.
    @Test func heartbeatRenewsRunningJobsAndUnwrittenOutcomes() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let ids = try await (1...3).asyncMap { try await Offload(pool: pool).enqueue(Greet(name: "\($0)")) }
            let worker = testWorker(pool: pool, functions: [], leaseDuration: .seconds(60))
            try await worker.ownPool.execute(worker.registration)
            let claimed = try await worker.claim(queue: "default", limit: 3)
            try #require(claimed.map(\.id).sorted() == ids)
            let (running, finished, unknown) = (claimed[0], claimed[1], claimed[2])
            worker.running.insert(running, timeout: .seconds(300))
            worker.outcomes.add(.completed(.init(jobID: finished.id, attempt: 1, result: nil)))
            // The third is claimed in the database but unknown to the worker (its claim's reply lost).
            try await pool.execute("UPDATE offload.jobs SET lease_until = now() - interval '1 second'")

            try await worker.heartbeatPass()

            #expect(
                try await count(
                    pool, "id IN (\(running.id), \(finished.id)) AND lease_until > now() + interval '50 seconds'") == 2)
            #expect(try await count(pool, "id = \(unknown.id) AND lease_until < now()") == 1)
            let renewedAt = try await pool.query(
                """
                SELECT leases_renewed_at IS NOT NULL AND heartbeat_at IS NOT NULL AS ok
                FROM offload.workers WHERE id = \(worker.id)
                """
            ).single(Bool.self, "ok")
            #expect(renewedAt)
        }
    }

    /// Handlers that hold every connection of the app's pool for three leases, with more work waiting
    /// for a connection: the worker's renewals do not queue behind them, so nothing is rescued (the
    /// worker runs maintenance itself) and each job runs once.
    @Test func handlersHoldingEveryPoolConnectionForThreeLeasesLoseNoJob() async throws {
        try await OffloadTestDatabase.withConfiguration { configuration async throws in
            let pool = ConnectionPool(configuration, maxConnections: 2, acquireTimeout: .seconds(120))
            defer { pool.close() }
            // Room for a loaded 2-core machine (the whole suite beside it, load 20–30): a worker
            // starved of the processor for a whole lease is rightly rescued, so the lease is long.
            let lease = Duration.seconds(8)
            let runs = Mutex<[Int64: Int]>([:])
            let hold = Function(id: "greet") { (_: Greet, context: JobContext) in
                runs.withLock { $0[context.jobID, default: 0] += 1 }
                // The thing under test: a handler that holds a pool connection for three leases.
                try await context.pool.withConnection { _ in try await Task.sleep(for: lease * 3) }
            }
            // Three jobs, two connections: two handlers hold both, the third waits in the pool's line.
            let ids = try await (1...3).asyncMap { try await Offload(pool: pool).enqueue(Greet(name: "\($0)")) }
            let worker = testWorker(pool: pool, functions: [hold], concurrency: 3, leaseDuration: lease)
            try await whileRunning(worker) { () async throws in
                let done = try await eventually(timeout: .seconds(120)) {
                    try await count(pool, "state = 'completed'") == 3
                }
                #expect(done)
            }
            #expect(runs.withLock { $0 } == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            #expect(try await count(pool, "attempt = 1 AND errors = '[]'") == 3)
        }
    }

    /// An operator holds `LOCK TABLE offload.jobs` for three leases while a job runs: renewals are
    /// held up all that time, but the worker's proof of life is not, so the job is not rescued and
    /// runs once (it ran twice before: issue 12).
    @Test func jobsTableLockedForThreeLeasesDoesNotRescueALiveWorkersJob() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            // Room for a loaded 2-core machine (the whole suite beside it, load 20–30): a worker
            // starved of the processor for a whole lease is rightly rescued, so the lease is long.
            let lease = Duration.seconds(8)
            let runs = Mutex<Int>(0)
            let gate = Gate()
            let started = Gate()
            let slow = Function(id: "greet") { (_: Greet, _: JobContext) in
                runs.withLock { $0 += 1 }
                started.open()
                await gate.wait()
            }
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            let events = WorkerEvents()
            let worker = testWorker(pool: pool, functions: [slow], leaseDuration: lease, events: events)
            try await whileRunning(worker) { () async throws in
                await started.wait()
                let locker = try await Connection.connect(pool.configuration)
                try await locker.execute("BEGIN")
                try await locker.execute("LOCK TABLE offload.jobs IN ACCESS EXCLUSIVE MODE")
                // The thing under test: a fault that lasts three leases. Nothing below depends on timing.
                try await Task.sleep(for: lease * 3)
                try await locker.execute("ROLLBACK")
                // Give maintenance every chance to rescue it now that it may: two whole passes that
                // began after the lock went (the first one done may have begun before).
                events.skipToNow()
                try await events.next { if case .maintenanceRan = $0 { true } else { false } }
                try await events.next { if case .maintenanceRan = $0 { true } else { false } }
                #expect(try await count(pool, "id = \(id) AND state = 'running'") == 1)
                #expect(
                    !events.all.contains { if case .maintenanceRan(let rescued) = $0 { rescued > 0 } else { false } })
                let renewed = try await eventually { try await count(pool, "id = \(id) AND lease_until > now()") == 1 }
                #expect(renewed)
                gate.open()
                #expect(try await events.finished(id) == .completed)
            }
            #expect(runs.withLock { $0 } == 1)
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(job.attempt == 1)
            #expect(job.errors.isEmpty)
        }
    }
}

@Suite("Rescue")
struct RescueTests {
    /// Sets job `id` running for worker `worker` with a lease that ran out `expiredFor` ago.
    private func setRunning(_ id: Int64, worker: String, expiredFor: String, in pool: ConnectionPool) async throws {
        try await pool.execute(
            Query(
                unsafeSQL: """
                    UPDATE offload.jobs
                    SET state = 'running', attempt = 1, worker_id = $1, lease_until = now() - $2::interval
                    WHERE id = $3
                    """, binds: [worker, expiredFor, String(id)]))
    }

    /// Adds worker `id` with a `leaseSeconds` lease, last alive and last renewing at the given ages.
    private func addWorker(
        _ id: String, leaseSeconds: Double, silentFor: String, renewedAgo: String?, in pool: ConnectionPool
    ) async throws {
        try await pool.execute(
            Query(
                unsafeSQL: """
                    INSERT INTO offload.workers (id, lease_seconds, heartbeat_at, leases_renewed_at)
                    VALUES ($1, $2::float8, now() - $3::interval, now() - $4::interval)
                    """, binds: [id, String(leaseSeconds), silentFor, renewedAgo]))
    }

    private func rescue(_ pool: ConnectionPool, leaseSeconds: Double = 10, grace: Double = 0) async throws -> [Int64] {
        try await pool.query(MaintenanceSQL.rescueExpired(leaseSeconds: leaseSeconds, graceAfterServerStart: grace))
            .rows.map { try $0.decode(Int64.self, "id") }.sorted()
    }

    /// Right after PostgreSQL (re)starts, no lease could have been renewed while it was down, so
    /// rescue waits a lease's length after the server started before taking anyone's jobs.
    @Test func rescueWaitsALeaseAfterTheServerStarted() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await setRunning(id, worker: "gone", expiredFor: "1 second", in: pool)
            let up = try await pool.query("SELECT extract(epoch FROM now() - pg_postmaster_start_time()) AS s").single(
                Double.self, "s")
            // A grace longer than the server has been up: too soon, nothing is rescued.
            #expect(try await rescue(pool, grace: up + 3600).isEmpty)
            #expect(try await JobRow.find(id, in: pool)?.state == .running)
            // Once it has passed, the job of a worker without a row is.
            #expect(try await rescue(pool) == [id])
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(job.state == .retryable)
            #expect(job.errors.map(\.type) == ["LeaseExpired"])
        }
    }

    /// Which expired jobs are taken back depends on their worker: a table of the cases.
    @Test func anExpiredLeaseIsRescuedOnlyWhenItsWorkerNoLongerRunsIt() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let ids = try await (1...6).asyncMap { try await Offload(pool: pool).enqueue(Greet(name: "\($0)")) }
            // Alive (heard from just now), renewals held up for ten minutes: keeps its job.
            try await addWorker("late", leaseSeconds: 10, silentFor: "0", renewedAgo: "10 minutes", in: pool)
            try await setRunning(ids[0], worker: "late", expiredFor: "5 minutes", in: pool)
            // Silent for longer than its lease: dead or frozen.
            try await addWorker("silent", leaseSeconds: 10, silentFor: "11 seconds", renewedAgo: "11 seconds", in: pool)
            try await setRunning(ids[1], worker: "silent", expiredFor: "1 second", in: pool)
            // Alive and renewing its other jobs a whole lease past this one's expiry: it does not hold it.
            try await addWorker("forgetful", leaseSeconds: 10, silentFor: "0", renewedAgo: "0", in: pool)
            try await setRunning(ids[2], worker: "forgetful", expiredFor: "11 seconds", in: pool)
            // The same worker, a job whose lease ran out less than a lease before the last renewal: a
            // renewal may have skipped its row (locked for a moment); it keeps it for now.
            try await setRunning(ids[3], worker: "forgetful", expiredFor: "9 seconds", in: pool)
            // No worker row at all.
            try await setRunning(ids[4], worker: "gone", expiredFor: "1 second", in: pool)
            // A lease that has not run out is never rescued, whatever its worker.
            try await pool.execute(
                """
                UPDATE offload.jobs
                SET state = 'running', attempt = 1, worker_id = 'gone', lease_until = now() + interval '1 minute'
                WHERE id = \(ids[5])
                """)

            #expect(try await rescue(pool) == [ids[1], ids[2], ids[4]])
            #expect(try await count(pool, "state = 'running'") == 3)
        }
    }

    /// A worker row from before migration 7 has no lease of its own: the rescuer's stands in.
    @Test func aWorkerWithoutItsOwnLeaseIsJudgedByTheRescuers() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await pool.execute(
                "INSERT INTO offload.workers (id, heartbeat_at) VALUES ('old', now() - interval '20 seconds')")
            try await setRunning(id, worker: "old", expiredFor: "1 second", in: pool)
            #expect(try await rescue(pool, leaseSeconds: 30).isEmpty)
            #expect(try await rescue(pool, leaseSeconds: 10) == [id])
        }
    }
}

/// A one-way gate for tests: `wait()` returns once `open()` was called, before or after.
final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let openAlready = state.withLock { state -> Bool in
                if !state.isOpen { state.waiters.append(continuation) }
                return state.isOpen
            }
            if openAlready { continuation.resume() }
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ transform: (Element) async throws -> T
    ) async throws -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
