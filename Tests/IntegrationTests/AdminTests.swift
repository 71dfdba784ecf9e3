import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// `Offload+Admin`: what `offload status`, `offload jobs …` and `offload prune` are built on.
@Suite("Admin: list, inspect, retry, cancel, prune, status")
struct AdminTests {
    @Test func listFiltersByStateFunctionQueueAndEventNewestFirst() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let a = try await offload.enqueue(Greet(name: "a"), options: JobOptions(queue: "mail"))
            let b = try await offload.enqueue(Greet(name: "b"))
            let c = try await offload.enqueue(function: "other", arguments: Greet(name: "c"))
            try await makeDead(b, pool: pool)
            #expect(try await offload.listJobs().map(\.id) == [c, b, a])
            #expect(try await offload.listJobs(JobFilter(states: [.dead])).map(\.id) == [b])
            #expect(try await offload.listJobs(JobFilter(states: [.dead, .available])).map(\.id) == [c, b, a])
            #expect(try await offload.listJobs(JobFilter(function: "greet")).map(\.id) == [b, a])
            #expect(try await offload.listJobs(JobFilter(queue: "mail")).map(\.id) == [a])
            #expect(try await offload.listJobs(JobFilter(function: "greet", queue: "default")).map(\.id) == [b])
            #expect(try await offload.listJobs(JobFilter(limit: 2)).map(\.id) == [c, b])

            try await offload.register([Function(id: "greet", events: [SourceConnected.name]) { (_: Greet, _) in }])
            let event = try await offload.send(SourceConnected(sourceId: 1, userId: 2))
            let fromEvent = try await offload.listJobs(JobFilter(eventID: event))
            #expect(fromEvent.count == 1)
            #expect(fromEvent.first?.eventID == event)
        }
    }

    @Test func jobReadsEveryColumnAndTheErrorHistory() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let id = try await offload.enqueue(
                Greet(name: "Zoë"),
                options: JobOptions(queue: "mail", priority: -3, maxAttempts: 2, uniqueKey: "k", tags: ["t1"])
            )
            try await makeDead(id, pool: pool, messages: ["first\nsecond line", "again"])
            let job = try #require(try await offload.job(id: id))
            #expect(job.id == id)
            #expect(job.function == "greet")
            #expect(job.queue == "mail")
            #expect(job.state == .dead)
            #expect(job.priority == -3)
            #expect(job.maxAttempts == 2)
            #expect(job.uniqueKey == "k")
            #expect(job.tags == ["t1"])
            #expect(try job.arguments(as: Greet.self) == Greet(name: "Zoë"))
            #expect(job.errors.map(\.message) == ["first\nsecond line", "again"])
            #expect(job.errors.map(\.attempt) == [1, 2])
            #expect(job.errors.first?.type == "Failing")
            // jsonb renders timestamps with microseconds and an offset; they must read back as dates.
            let errorTime = try #require(job.errors.first?.at)
            #expect(abs(errorTime.timeIntervalSinceNow) < 60)
            #expect(job.finishedAt != nil)
            #expect(try await offload.job(id: id + 1000) == nil)
        }
    }

    @Test func retryJobReportsEachOutcomeAndWakesTheQueue() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let dead = try await offload.enqueue(Greet(name: "a"))
            let waiting = try await offload.enqueue(Greet(name: "b"))
            try await makeDead(dead, pool: pool)

            let listener = NotificationListener(pool.configuration, channels: ["offload_jobs"])
            defer { listener.stop() }
            var events = listener.events().makeAsyncIterator()
            #expect(await events.next() == .listening)

            #expect(try await offload.retryJob(dead, toQueue: "elsewhere") == .retried(queue: "elsewhere"))
            #expect(await events.next() == .notification(channel: "offload_jobs", payload: "elsewhere"))
            let job = try #require(try await offload.job(id: dead))
            #expect(job.state == .available)
            #expect(job.attempt == 0)
            #expect(job.errors.count == 1, "the history is kept")

            #expect(try await offload.retryJob(waiting) == .notRetryable(.available))
            #expect(try await offload.retryJob(999_999) == .notFound)
        }
    }

    @Test func retryDeadJobsMovesExactlyTheMatchingOnes() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let mailOld = try await offload.enqueue(Greet(name: "old"), options: JobOptions(queue: "mail"))
            let mailNew = try await offload.enqueue(Greet(name: "new"), options: JobOptions(queue: "mail"))
            let otherFunction = try await offload.enqueue(
                function: "other", arguments: Greet(name: "x"), options: JobOptions(queue: "mail"))
            let otherQueue = try await offload.enqueue(Greet(name: "y"), options: JobOptions(queue: "default"))
            let alive = try await offload.enqueue(Greet(name: "z"), options: JobOptions(queue: "mail"))
            try await makeDead(mailOld, pool: pool, finishedAgo: "3 hours")
            try await makeDead(mailNew, pool: pool, finishedAgo: "10 minutes")
            try await makeDead(otherFunction, pool: pool)
            try await makeDead(otherQueue, pool: pool)

            let filter = DeadJobFilter(function: "greet", queue: "mail", diedSince: .ago(.seconds(3600)))
            let dry = try await offload.retryDeadJobs(filter, toQueue: "mail-slow", dryRun: true)
            #expect(dry.retried.map(\.id) == [mailNew])
            #expect(try await offload.job(id: mailNew)?.state == .dead, "a dry run changes nothing")

            let done = try await offload.retryDeadJobs(filter, toQueue: "mail-slow")
            #expect(done.retried.map(\.id) == [mailNew])
            #expect(done.retried.first?.targetQueue == "mail-slow")
            let jobs = try await JobRow.all(pool)
            let byID = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0) })
            #expect(byID[mailNew]?.state == .available)
            #expect(byID[mailNew]?.queue == "mail-slow")
            #expect(byID[mailNew]?.attempt == 0)
            for untouched in [mailOld, otherFunction, otherQueue] { #expect(byID[untouched]?.state == .dead) }
            #expect(byID[alive]?.queue == "mail")

            let since = try await offload.retryDeadJobs(
                DeadJobFilter(diedSince: .date(Date().addingTimeInterval(-7200))))
            #expect(Set(since.retried.map(\.id)) == [otherFunction, otherQueue])
            let rest = try await offload.retryDeadJobs()
            #expect(rest.retried.map(\.id) == [mailOld])
            #expect(try await offload.retryDeadJobs().jobs.isEmpty)
        }
    }

    @Test func retryDeadJobsNeverMakesTwoActiveJobsWithOneUniqueKey() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let key = JobOptions(uniqueKey: "user-7")
            let first = try await offload.enqueue(Greet(name: "1"), options: key)
            try await makeDead(first, pool: pool)
            let second = try await offload.enqueue(Greet(name: "2"), options: key)
            try await makeDead(second, pool: pool)
            let blocked = try await offload.enqueue(Greet(name: "3"), options: JobOptions(uniqueKey: "user-8"))
            try await makeDead(blocked, pool: pool)
            let active = try await offload.enqueue(Greet(name: "4"), options: JobOptions(uniqueKey: "user-8"))

            let result = try await offload.retryDeadJobs()
            #expect(result.retried.map(\.id) == [second], "the newest of a key, and none while the key is active")
            #expect(Set(result.skipped.map(\.id)) == [first, blocked])
            #expect(try await offload.job(id: active)?.state == .available)
        }
    }

    @Test func cancelReportsWhatHappenedToEachJob() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let waiting = try await offload.enqueue(Greet(name: "a"))
            let running = try await offload.enqueue(Greet(name: "b"))
            let dead = try await offload.enqueue(Greet(name: "c"))
            try await pool.execute(
                "UPDATE offload.jobs SET state = 'running', attempt = 1, worker_id = 'w' WHERE id = \(running)")
            try await makeDead(dead, pool: pool)
            let results = try await offload.cancelJobs([waiting, running, dead, 424_242, waiting])
            #expect(
                results == [
                    JobCancellation(jobID: waiting, outcome: .cancelled),
                    JobCancellation(jobID: running, outcome: .cancelRequested),
                    JobCancellation(jobID: dead, outcome: .alreadyFinished(.dead)),
                    JobCancellation(jobID: 424_242, outcome: .notFound),
                ])
            #expect(
                try await offload.cancelJobs([waiting]) == [
                    JobCancellation(jobID: waiting, outcome: .alreadyFinished(.cancelled))
                ])
        }
    }

    @Test func pruneDeletesOnlyOldFinishedJobsOfTheGivenStatesInBatches() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            try await pool.execute(
                """
                INSERT INTO offload.jobs (function, state, finished_at)
                SELECT 'f', s.state::offload.job_state, now() - s.age
                FROM (VALUES ('completed', interval '8 days'), ('cancelled', interval '8 days'), ('dead', interval '8 days'),
                             ('completed', interval '1 day')) AS s(state, age),
                     generate_series(1, 7)
                """)
            try await offload.enqueue(Greet(name: "waiting"))
            let deleted = try await offload.prune(olderThan: .seconds(7 * 86_400), batchSize: 3)
            #expect(deleted == 14)
            #expect(try await count(pool, "state = 'dead'") == 7)
            #expect(try await count(pool, "state = 'completed'") == 7)
            #expect(try await offload.prune(olderThan: .seconds(7 * 86_400), states: [.dead, .available]) == 7)
            #expect(try await count(pool, "true") == 8)
        }
    }

    @Test func statusAgreesWithTheViews() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            try await offload.enqueue(Greet(name: "now"))
            try await offload.enqueue(Greet(name: "later"), options: JobOptions(delay: .seconds(600)))
            let dead = try await offload.enqueue(Greet(name: "dead"), options: JobOptions(queue: "mail"))
            try await makeDead(dead, pool: pool)
            try await pool.execute(
                "UPDATE offload.jobs SET run_at = now() - interval '90 seconds' WHERE args->>'name' = 'now'")
            // Only completions: shows with its rate although nothing waits.
            try await pool.execute(
                """
                INSERT INTO offload.jobs (queue, function, state, finished_at)
                SELECT 'reports', 'nightly', 'completed', now() FROM generate_series(1, 9)
                """)
            try await pool.execute(
                """
                INSERT INTO offload.workers (id, hostname, pid, queues, concurrency, started_at, heartbeat_at)
                VALUES ('w1', 'host', 42, '{default,mail}', 10, now() - interval '1 hour', now()),
                       ('gone', 'host', 43, '{default}', 10, now() - interval '1 hour', now() - interval '5 minutes')
                """)

            let status = try await offload.status()
            let stats = Dictionary(uniqueKeysWithValues: status.queues.map { ("\($0.queue)/\($0.function)", $0) })
            #expect(Set(stats.keys) == ["default/greet", "mail/greet", "reports/nightly"])
            let greet = try #require(stats["default/greet"])
            #expect(greet.available == 1)
            #expect(greet.scheduled == 1)
            #expect(greet.lagSeconds >= 90 && greet.lagSeconds < 120)
            #expect(stats["mail/greet"]?.dead == 1)
            #expect(stats["mail/greet"]?.failedPerMinute ?? 0 > 0)
            let nightly = try #require(stats["reports/nightly"])
            #expect(nightly.available == 0)
            #expect(nightly.completedPerMinute > 9.0 / 5.0 - 0.01 && nightly.completedPerMinute <= 9.0 / 4.0)
            #expect(status.workers.map(\.id) == ["w1"])
            #expect(status.workers.first?.queues == ["default", "mail"])

            // The same numbers as the view itself.
            let view = try await pool.query(
                "SELECT queue, function, available, scheduled, dead FROM offload.queue_stats"
            ).rows
            for row in view {
                let stat = try #require(
                    stats["\(try row.decode(String.self, "queue"))/\(try row.decode(String.self, "function"))"])
                #expect(stat.available == (try row.decode(Int.self, "available")))
                #expect(stat.scheduled == (try row.decode(Int.self, "scheduled")))
                #expect(stat.dead == (try row.decode(Int.self, "dead")))
            }
            #expect(try await offload.liveWorkers().map(\.id) == ["w1"])
            let minutes = try await offload.throughput()
            #expect(minutes.contains { $0.function == "nightly" && $0.completed == 9 })
        }
    }

    /// Puts a job in the dead-letter state with one error per message, as the worker would have.
    private func makeDead(
        _ id: Int64, pool: ConnectionPool, messages: [String] = ["deliberate failure"], finishedAgo: String = "1 second"
    ) async throws {
        let errors = try PGJSON(
            messages.enumerated().map { index, message in
                ["attempt": "\(index + 1)", "message": message, "type": "Failing", "worker": "test"]
            })
        try await pool.execute(
            """
            UPDATE offload.jobs
            SET state = 'dead',
                attempt = \(messages.count),
                finished_at = now() - \(finishedAgo)::interval,
                errors = (
                    SELECT jsonb_agg(e || jsonb_build_object('at', now(), 'attempt', (e->>'attempt')::int) ORDER BY (e->>'attempt')::int)
                    FROM jsonb_array_elements(\(errors)::jsonb) AS e
                )
            WHERE id = \(id)
            """)
    }
}

extension AdminTests {
    /// Re-routing dead jobs names their new queue; a name with control characters is refused as the
    /// SQL API refuses it (issue 13, finding 4), and nothing is re-run.
    @Test func retryToAQueueWithControlCharactersIsRefused() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await makeDead(id, pool: pool)
            let error = await #expect(throws: PGError.self) {
                try await Offload(pool: pool).retryDeadJobs(toQueue: "mail\u{1B}]0;pwned\u{07}")
            }
            #expect(error?.sqlState == .invalidParameterValue)
            #expect(error?.message.contains("to_queue") == true)
            #expect(error?.message.contains("\u{1B}") == false)
            #expect(try await JobRow.find(id, in: pool)?.state == .dead)
        }
    }
}

extension AdminTests {
    /// Tags with a NULL element or two dimensions, stored before migration 8 refused them (or by the
    /// owner directly), made `offload jobs list` and `show` fail for everyone. They read flattened.
    @Test func oddTagsAlreadyStoredAreReadable() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.execute(
                """
                INSERT INTO offload.jobs (queue, function, args, tags)
                VALUES ('default', 'greet', '{}', '{a,NULL}'), ('default', 'greet', '{}', '{{a},{b}}')
                """)
            let jobs = try await Offload(pool: pool).listJobs()
            #expect(jobs.map(\.tags).sorted { $0.count < $1.count } == [["a"], ["a", "b"]])
            let shown = try await Offload(pool: pool).job(id: try #require(jobs.first?.id))
            #expect(shown?.tags.isEmpty == false)
        }
    }
}
