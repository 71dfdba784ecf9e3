import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// The SQL functions, called as any other language would: plain SQL text on a connection.
@Suite("The SQL API")
struct SQLAPITests {
    @Test func enqueueAndSendFromPlainSQLInsideATransaction() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let connection = try await Connection.connect(pool.configuration)
            try await connection.executeUnsafeScript(
                """
                INSERT INTO offload.functions (id, events, queue) VALUES ('backfill-user-data', '{api/source.connected}', 'imports');
                BEGIN;
                SELECT offload.send('api/source.connected', '{"sourceId": 1}');
                SELECT offload.enqueue('send-welcome-email', '{"userId": 7}', queue => 'mail', priority => 3);
                COMMIT;
                BEGIN;
                SELECT offload.enqueue('never', '{}');
                ROLLBACK;
                """)
            let jobs = try await JobRow.all(pool)
            #expect(jobs.map(\.function) == ["backfill-user-data", "send-welcome-email"])
            #expect(jobs.map(\.queue) == ["imports", "mail"])
            #expect(jobs[0].eventID != nil)
        }
    }

    /// The enqueue functions send the wake-ups themselves (migration 5): one per queue that got a job
    /// runnable now, folded within the transaction; none for a job scheduled for later.
    @Test func enqueueFunctionsWakeEachQueueThatGotARunnableJob() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let listener = NotificationListener(pool.configuration, channels: ["offload_jobs"])
            defer { listener.stop() }
            var events = listener.events().makeAsyncIterator()
            #expect(await events.next() == .listening)

            let connection = try await Connection.connect(pool.configuration)
            try await connection.executeUnsafeScript(
                """
                INSERT INTO offload.functions (id, events, queue) VALUES ('mailer', '{user.created}', 'mail');
                BEGIN;
                SELECT offload.enqueue('a', '{}');
                SELECT offload.enqueue('b', '{}', queue => 'later', run_at => now() + interval '1 hour');
                SELECT offload.enqueue_many(ARRAY['c', 'd'], ARRAY['{}', '{}']::jsonb[], queues => ARRAY['batch', NULL]);
                SELECT offload.enqueue_many(ARRAY['e'], ARRAY['{}']::jsonb[], queues => ARRAY['someday'],
                                            run_ats => ARRAY[now() + interval '1 day']);
                SELECT offload.send('user.created', '{}');
                SELECT offload.enqueue('f', '{}', unique_key => 'k');
                COMMIT;
                SELECT pg_notify('offload_jobs', 'end');
                """)
            var payloads: [String] = []
            while case .notification(_, let payload)? = await events.next(), payload != "end" {
                payloads.append(payload)
            }
            #expect(payloads == ["default", "batch", "mail"])
            #expect(try await JobRow.all(pool).count == 7)
        }
    }

    /// offload.claim (migration 6): the runnable jobs of one queue, lowest priority value first,
    /// marked running for the worker with a lease; its settings end with its transaction.
    @Test func claimTakesTheRunnableJobsOfOneQueueInPriorityOrder() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let connection = try await Connection.connect(pool.configuration)
            let ids = try await connection.query(
                """
                SELECT offload.enqueue('a', '{}') AS normal,
                       offload.enqueue('b', '{}', priority => -1) AS urgent,
                       offload.enqueue('c', '{}', queue => 'other') AS elsewhere,
                       offload.enqueue('d', '{}', run_at => now() + interval '1 hour') AS later
                """
            ).rows[0]
            let normal = try ids.decode(Int64.self, "normal")
            let urgent = try ids.decode(Int64.self, "urgent")

            let claimed = try await connection.query("SELECT id, attempt FROM offload.claim('default', 1, 'w1', 30)")
                .rows
            #expect(try claimed.map { try $0.decode(Int64.self, "id") } == [urgent])
            let rest = try await connection.query("SELECT id FROM offload.claim('default', 10, 'w1', 30)").rows
            #expect(try rest.map { try $0.decode(Int64.self, "id") } == [normal])
            #expect(try await connection.query("SELECT id FROM offload.claim('default', 10, 'w2', 30)").rows.isEmpty)

            let jobs = try await JobRow.all(pool)
            let running = jobs.filter { $0.state == .running }
            #expect(Set(running.map(\.id)) == [normal, urgent])
            #expect(running.allSatisfy { $0.attempt == 1 })
            let leases = try await pool.query(
                """
                SELECT count(*) AS n FROM offload.jobs
                WHERE worker_id = 'w1'
                  AND lease_until - attempted_at >= interval '30 seconds'
                  AND lease_until - attempted_at < interval '90 seconds'
                """
            ).single(Int.self, "n")
            // 30 s from the claim (not from this check: on a loaded machine it can come seconds later).
            #expect(leases == 2)
            #expect(
                try await connection.query("SHOW synchronous_commit").single(String.self, "synchronous_commit") == "on")
            #expect(try await connection.query("SHOW enable_seqscan").single(String.self, "enable_seqscan") == "on")
        }
    }

    @Test(arguments: [
        ("SELECT offload.enqueue('f', '[1, 2]')", "array"),
        ("SELECT offload.enqueue('', '{}')", "function"),
        ("SELECT offload.enqueue('f', '{}', max_attempts => -1)", "max_attempts"),
        ("SELECT offload.enqueue('f', '{}', priority => 5000)", "priority"),
        ("SELECT offload.enqueue('f', NULL)", "args"),
    ])
    func invalidInputRaisesAClearError(sql: String, mentions: String) async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let error = try await #require(throws: PGError.self) { try await pool.query(Query(unsafeSQL: sql)) }
            #expect(error.code == .server)
            #expect(error.description.lowercased().contains(mentions))
            #expect(try await count(pool, "true") == 0)
        }
    }

    @Test func cancelAndRetryFromSQL() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id = try await pool.query("SELECT offload.enqueue('f', '{}') AS id").single(Int64.self, "id")
            #expect(
                try await pool.query("SELECT offload.cancel(\(id)) AS state").single(String.self, "state")
                    == "cancelled")
            #expect(
                try await pool.query("SELECT offload.retry(\(id), to_queue => 'other') AS ok").single(Bool.self, "ok"))
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(job.state == .available)
            #expect(job.queue == "other")
        }
    }

    @Test func monitoringViewsAnswer() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.execute("SELECT offload.enqueue('f', '{}', queue => 'q1')")
            let stats = try await pool.query("SELECT queue, function, available FROM offload.queue_stats").rows
            #expect(stats.count == 1)
            #expect(try stats.first?.decode(Int.self, "available") == 1)
            _ = try await pool.query("SELECT * FROM offload.failures")
            _ = try await pool.query("SELECT * FROM offload.live_workers")
            _ = try await pool.query("SELECT * FROM offload.throughput")
        }
    }
}
