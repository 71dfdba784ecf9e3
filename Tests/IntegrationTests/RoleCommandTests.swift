import Foundation
import Logging
import OffloadTestKit
import PGClient
import Testing

@testable import Offload

/// Issue 13, finding 5: each documented role (scripts/create-roles.sql) runs the statements of the
/// commands it is documented for. Before, the schema-version check failed for the monitor and the
/// enqueuer ("permission denied for table migrations") and maintenance failed for the worker
/// ("permission denied for table events").
@Suite("Roles run their commands")
struct RoleCommandTests {
    @Test func eachRoleRunsItsStatements() async throws {
        try await OffloadTestDatabase.withConfiguration { configuration in
            try await OffloadTestRoles.with(configuration) { roles, owner in
                try await asEnqueuer(roles, owner: owner)
                try await asMonitor(roles)
                try await asWorker(roles, owner: owner)
            }
        }
    }

    /// `offload enqueue` / `offload send` / app code: the version check, then the three functions.
    private func asEnqueuer(_ roles: OffloadTestRoles, owner: Connection) async throws {
        let configuration = roles.configuration(as: roles.enqueuer)
        try await Migrator().requireCurrent(configuration)
        let pool = ConnectionPool(configuration, maxConnections: 2)
        defer { pool.close() }
        let offload = Offload(pool: pool)
        try await owner.execute("INSERT INTO offload.functions (id, events) VALUES ('greet', '{api/source.connected}')")
        _ = try await offload.enqueue(Greet(name: "a"), options: JobOptions(uniqueKey: "k", tags: ["t"]))
        #expect(try await offload.enqueueMany([Greet(name: "b"), Greet(name: "c")], on: pool) == 2)
        _ = try await offload.send(SourceConnected(sourceId: 1, userId: 2))
        #expect(try await owner.query("SELECT count(*) AS n FROM offload.jobs").single(Int.self, "n") == 4)

        // The limit is the owner's to change, not the enqueuer's.
        let raise = await #expect(throws: PGError.self) {
            try await pool.execute("UPDATE offload.settings SET max_args_bytes = 1073741823")
        }
        #expect(raise?.sqlState == .insufficientPrivilege)
    }

    /// `offload status` and dashboards: the version check, then the views.
    private func asMonitor(_ roles: OffloadTestRoles) async throws {
        let configuration = roles.configuration(as: roles.monitor)
        try await Migrator().requireCurrent(configuration)
        let pool = ConnectionPool(configuration, maxConnections: 2)
        defer { pool.close() }
        let offload = Offload(pool: pool)
        let status = try await offload.status()
        #expect(status.queues.contains { $0.function == "greet" })
        _ = try await offload.queueStats()
        _ = try await offload.liveWorkers()
        _ = try await offload.throughput()
        _ = try await pool.query("SELECT * FROM offload.failures")
    }

    /// A worker process: start-up, the hot path, and every maintenance statement, as `offload_worker`.
    private func asWorker(_ roles: OffloadTestRoles, owner: Connection) async throws {
        let configuration = roles.configuration(as: roles.worker)
        try await Migrator().requireCurrent(configuration)
        let connection = try await Connection.connect(configuration)
        let workerID = "role-test-worker"

        try await connection.execute(
            WorkerSQL.register(
                id: workerID, hostname: "h", pid: 1, queues: ["default"], concurrency: 4, leaseSeconds: 30))
        let pool = ConnectionPool(configuration, maxConnections: 1)
        defer { pool.close() }
        try await Offload(pool: pool).register([Function(id: "greet") { (_: Greet, _: JobContext) in }])
        try await connection.execute(WorkerSQL.heartbeat(id: workerID))

        let claimed = try await connection.query(
            JobSQL.claimAvailable(queue: "default", limit: 10, workerID: workerID, leaseSeconds: 30)
        ).rows
        let ids = try claimed.map { try $0.decode(Int64.self, "id") }
        #expect(ids.count == 4)
        #expect(
            try await connection.query(WorkerSQL.renewLeases(jobIDs: ids, workerID: workerID, leaseSeconds: 60)).rows
                .count == 4)
        #expect(
            try await connection.execute(
                JobSQL.completeMany(
                    [JobOutcome.Completion(jobID: ids[0], attempt: 1, result: nil)], workerID: workerID)) == 1)
        #expect(
            try await connection.execute(
                JobSQL.recordSettlements(
                    [
                        JobOutcome.Settlement(
                            jobID: ids[1], attempt: 1, state: .retryable, delaySeconds: 0, message: "failed",
                            errorType: "Failing", refundAttempt: false)
                    ],
                    workerID: workerID)) == 1)
        // The last one is the event's job: completed, so that its event can be pruned.
        #expect(
            try await connection.query(JobSQL.completeOne(jobID: ids[3], attempt: 1, result: nil, workerID: workerID))
                .rows.count == 1)

        // Maintenance: each statement, then a whole pass with old rows to prune.
        try await owner.executeUnsafeScript(
            """
            UPDATE offload.jobs SET lease_until = now() - interval '1 minute' WHERE id = \(ids[2]);
            UPDATE offload.workers SET heartbeat_at = now() - interval '1 hour' WHERE id = '\(workerID)';
            UPDATE offload.jobs SET finished_at = now() - interval '2 days' WHERE id = \(ids[0]);
            UPDATE offload.events SET received_at = now() - interval '2 days';
            INSERT INTO offload.workers (id, heartbeat_at) VALUES ('long-gone', now() - interval '1 day');
            """)
        #expect(try await connection.query(MaintenanceSQL.tryLead()).single(Bool.self, "acquired"))
        #expect(
            try await connection.query(MaintenanceSQL.rescueExpired(leaseSeconds: 30, graceAfterServerStart: 0)).rows
                .count == 1)
        try await connection.execute(MaintenanceSQL.notify(queues: ["default"]))
        let maintenance = Maintenance(
            configuration: MaintenanceConfiguration(
                completedRetention: .seconds(86_400), deadRetention: .seconds(86_400)),
            connectionConfiguration: configuration,
            metrics: WorkerMetrics(),
            logger: Logger(label: "role-test")
        )
        try await maintenance.runPass(on: connection)
        #expect(try await JobRow.find(ids[0], in: owner) == nil, "pruned")
        #expect(
            try await owner.query("SELECT count(*) AS n FROM offload.events").single(Int.self, "n") == 0,
            "events pruned")
        #expect(
            try await owner.query("SELECT count(*) AS n FROM offload.workers WHERE id = 'long-gone'").single(
                Int.self, "n") == 0)
        try await connection.execute(
            MaintenanceSQL.pruneFinished(states: [.completed, .cancelled], retentionSeconds: 0, batchSize: 10))
        try await connection.execute(MaintenanceSQL.pruneEvents(retentionSeconds: 0, batchSize: 10))
        try await connection.execute(MaintenanceSQL.forgetStaleWorkers())

        // Operators who hold offload_worker cancel and re-run jobs (docs/security.md).
        let job = try await owner.query("SELECT offload.enqueue('greet', '{}') AS id").single(Int64.self, "id")
        #expect(
            try await connection.query("SELECT offload.cancel(\(job)) AS state").single(String.self, "state")
                == "cancelled")
        #expect(try await connection.query("SELECT offload.retry(\(job)) AS ok").single(Bool.self, "ok"))
        try await connection.execute(WorkerSQL.deregister(id: workerID))
    }
}
