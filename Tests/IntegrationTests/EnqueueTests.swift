import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

@Suite("Transactional enqueue and events")
struct EnqueueTests {
    @Test func rollbackLeavesNoJobAndNoEvent() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            await #expect(throws: Failing.self) {
                try await pool.transaction { tx in
                    try await offload.enqueue(Greet(name: "a"), on: tx)
                    try await offload.send(SourceConnected(sourceId: 1, userId: 2), on: tx)
                    throw Failing()
                }
            }
            #expect(try await count(pool, "true") == 0)
            #expect(try await pool.query("SELECT count(*) AS n FROM offload.events").single(Int.self, "n") == 0)
        }
    }

    @Test func commitCreatesExactlyTheExpectedRows() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let id = try await pool.transaction { tx in
                try await offload.enqueue(
                    Greet(name: "Zoë"), options: JobOptions(queue: "mail", priority: 5, maxAttempts: 3), on: tx)
            }
            let jobs = try await JobRow.all(pool)
            #expect(jobs.count == 1)
            let job = try #require(jobs.first)
            #expect(job.id == id)
            #expect(job.function == "greet")
            #expect(job.queue == "mail")
            #expect(job.state == .available)
            #expect(job.maxAttempts == 3)
            #expect(try PGJSON.decode(Greet.self, from: job.argumentsJSON) == Greet(name: "Zoë"))
        }
    }

    @Test func uniqueKeyDedupesWhileActiveAndAllowsAfterFinished() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let options = JobOptions(uniqueKey: "user-7")
            let first = try await offload.enqueue(Greet(name: "a"), options: options)
            let second = try await offload.enqueue(Greet(name: "b"), options: options)
            #expect(first == second)
            #expect(try await count(pool, "true") == 1)
            try await pool.execute(
                "UPDATE offload.jobs SET state = 'completed', finished_at = now() WHERE id = \(first)")
            let third = try await offload.enqueue(Greet(name: "c"), options: options)
            #expect(third != first)
            #expect(try await count(pool, "true") == 2)
        }
    }

    @Test func eventFansOutToEverySubscriber() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            try await offload.register([
                Function.on(SourceConnected.self, id: "backfill-user-data") { _, _ in },
                Function.on(SourceConnected.self, id: "send-welcome-email") { _, _ in },
                Function.job(Greet.self) { _, _ in },
            ])
            let eventID = try await offload.send(SourceConnected(sourceId: 1, userId: 2))
            let jobs = try await JobRow.all(pool)
            #expect(Set(jobs.map(\.function)) == ["backfill-user-data", "send-welcome-email"])
            #expect(jobs.allSatisfy { $0.eventID == eventID })
            let nobody = try await offload.send(name: "nobody/listens", data: ["x": 1])
            #expect(nobody != eventID)
            #expect(try await count(pool, "true") == 2)
            #expect(try await pool.query("SELECT count(*) AS n FROM offload.events").single(Int.self, "n") == 2)
        }
    }

    @Test func idempotencyKeyMakesARepeatedSendANoOp() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            try await offload.register([Function.on(SourceConnected.self, id: "backfill-user-data") { _, _ in }])
            let first = try await offload.send(SourceConnected(sourceId: 1, userId: 2), idempotencyKey: "source-1")
            let again = try await offload.send(SourceConnected(sourceId: 1, userId: 2), idempotencyKey: "source-1")
            #expect(first == again)
            #expect(try await count(pool, "true") == 1)
        }
    }

    @Test func enqueueManyInsertsTenThousandInOneStatement() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let jobs = (0..<10_000).map { Greet(name: "n\($0)") }
            let inserted = try await offload.enqueueMany(jobs, options: JobOptions(queue: "bulk"), on: pool)
            #expect(inserted == 10_000)
            #expect(try await count(pool, "queue = 'bulk' AND state = 'available'") == 10_000)
        }
    }

    @Test func hostileStringsAreStoredAsData() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let hostile = ["'; DROP TABLE offload.jobs; --", "\"quoted\"", "Zoë 🚀 日本", "$1 $2", "back\\slash"]
            for name in hostile {
                try await offload.enqueue(Greet(name: name), options: JobOptions(queue: name, uniqueKey: name))
            }
            let stored = try await JobRow.all(pool)
            #expect(stored.map(\.queue) == hostile)
            #expect(try stored.map { try PGJSON.decode(Greet.self, from: $0.argumentsJSON).name } == hostile)
        }
    }

    @Test func delayedJobIsScheduledInTheFuture() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            try await offload.enqueue(Greet(name: "later"), options: JobOptions(delay: .seconds(3600)))
            #expect(try await count(pool, "run_at > now() + interval '59 minutes'") == 1)
        }
    }
}

@Suite("enqueue_many and concurrent unique keys")
struct EnqueueManyUniqueKeyTests {
    /// Issue 13, finding 7. Two calls with the same keys in opposite orders are lined up behind a third
    /// transaction that holds the middle key, so both are mid-statement when it lets go. Taking keys in
    /// array order, each then held a key the other waited for ("deadlock detected", every time);
    /// taken in key order, the second waits for the first and skips what it inserted.
    @Test func oppositeOrdersDoNotDeadlock() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let blocker = try await Connection.connect(pool.configuration)
            let ascending = try await Connection.connect(pool.configuration)
            let descending = try await Connection.connect(pool.configuration)
            func pid(_ connection: Connection) async throws -> Int {
                try await connection.query("SELECT pg_backend_pid() AS pid").single(Int.self, "pid")
            }
            let pids = [try await pid(ascending), try await pid(descending)]
            func enqueueMany(_ connection: Connection, _ keys: [String]) async throws -> Int {
                try await connection.query(
                    """
                    SELECT offload.enqueue_many(
                        array_fill('greet'::text, ARRAY[\(keys.count)::int]),
                        array_fill('{}'::jsonb, ARRAY[\(keys.count)::int]),
                        unique_keys => \(keys)::text[]
                    ) AS inserted
                    """
                ).single(Int.self, "inserted")
            }

            try await blocker.execute("BEGIN")
            #expect(try await enqueueMany(blocker, ["k2"]) == 1)
            async let first = enqueueMany(ascending, ["k1", "k2", "k3"])
            async let second = enqueueMany(descending, ["k3", "k2", "k1"])
            // Both calls are waiting for a lock (the blocker's, or each other's).
            #expect(
                try await eventually {
                    try await pool.query(
                        """
                        SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ANY(\(pids)::int[]) AND wait_event_type = 'Lock'
                        """
                    ).single(Int.self, "n") == 2
                })
            try await blocker.execute("ROLLBACK")
            let inserted = try await [first, second]
            #expect(inserted.sorted() == [0, 3])
            let keys = try await pool.query("SELECT unique_key FROM offload.jobs ORDER BY id").rows.map {
                try $0.decode(String.self, "unique_key")
            }
            #expect(
                keys == ["k1", "k2", "k3"] || keys == ["k3", "k2", "k1"], "ids follow the inserting call's array order")
        }
    }
}
