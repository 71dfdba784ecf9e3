import Foundation
import Logging
import OffloadTestKit
import PGClient
import Synchronization
import Testing

@testable import Offload

@Suite("The worker")
struct WorkerTests {
    @Test func jobRunsAndItsResultIsStored() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let greet = Function(id: "greet") { (input: Greet, _: JobContext) -> Greeting? in
                Greeting(text: "hello \(input.name)")
            }
            let worker = testWorker(pool: pool, functions: [greet])
            let id = try await Offload(pool: pool).enqueue(Greet(name: "Ada"))
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await JobRow.find(id, in: pool)?.state == .completed })
            }
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(try PGJSON.decode(Greeting.self, from: try #require(job.resultJSON)) == Greeting(text: "hello Ada"))
            #expect(job.attempt == 1)
            #expect(try await pool.query("SELECT count(*) AS n FROM offload.workers").single(Int.self, "n") == 0)
        }
    }

    @Test func failingJobRetriesWithGrowingDelaysThenDies() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let options = FunctionOptions(
                maxAttempts: 3, backoff: Backoff(initial: .milliseconds(200), multiplier: 3, jitter: 0))
            let failing = Function(id: "greet", options: options) { (_: Greet, _: JobContext) in throw Failing() }
            let worker = testWorker(pool: pool, functions: [failing], pollInterval: .milliseconds(50))
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"), options: JobOptions(maxAttempts: 3))
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await JobRow.find(id, in: pool)?.state == .dead })
            }
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(job.attempt == 3)
            try #require(job.errors.map(\.attempt) == [1, 2, 3])
            #expect(job.errors.allSatisfy { $0.message == "deliberate failure" }, "\(job.errors.map(\.message))")
            let times = try job.errors.map { try Date(pgText: $0.at.replacingOccurrences(of: "T", with: " ")) }
            let firstGap = times[1].timeIntervalSince(times[0])
            let secondGap = times[2].timeIntervalSince(times[1])
            // Lower bounds only: each gap is at least its backoff. (Comparing the two gaps failed when the
            // machine was busy: a late claim of the first retry made its gap the longer one.)
            #expect(firstGap >= 0.2)
            #expect(secondGap >= 0.6)
        }
    }

    @Test func nonRetryableErrorGoesStraightToDead() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let function = Function(id: "greet") { (_: Greet, _: JobContext) in
                throw JobError.nonRetryable("the account is closed")
            }
            let worker = testWorker(pool: pool, functions: [function])
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await JobRow.find(id, in: pool)?.state == .dead })
            }
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(job.attempt == 1)
            #expect(job.errors.map(\.message) == ["the account is closed"])
        }
    }

    @Test func timeoutCancelsTheHandlerAndCountsAsAFailure() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let function = Function(id: "greet", options: FunctionOptions(maxAttempts: 1, timeout: .milliseconds(300)))
            {
                (_: Greet, _: JobContext) in
                // The thing under test: a handler that would not return for an hour, but for the timeout.
                try await Task.sleep(for: .seconds(3600))
            }
            let worker = testWorker(pool: pool, functions: [function])
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"), options: JobOptions(maxAttempts: 1))
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await JobRow.find(id, in: pool)?.state == .dead })
            }
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(job.errors.first?.message.contains("timed out") == true)
            #expect(job.errors.first?.type == "Timeout")
        }
    }

    @Test func eventFanOutRunsBothFunctions() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.execute("CREATE TABLE ran (function text, source_id int)")
            func recorder(_ id: String) -> Function {
                Function.on(SourceConnected.self, id: id) { event, context in
                    try await context.pool.execute("INSERT INTO ran VALUES (\(id), \(event.sourceId))")
                }
            }
            let events = WorkerEvents()
            let worker = testWorker(
                pool: pool, functions: [recorder("backfill-user-data"), recorder("send-welcome-email")], events: events
            )
            try await whileRunning(worker) { () async throws in
                // The worker registers its functions when it starts; send once it has.
                try await events.waitFor(.started)
                try await Offload(pool: pool).send(SourceConnected(sourceId: 42, userId: 1))
                for function in ["backfill-user-data", "send-welcome-email"] {
                    let job = try await expectEnqueued(
                        function: function, matching: SourceConnected(sourceId: 42, userId: 1), in: pool)
                    #expect(try await events.finished(job.id) == .completed)
                }
            }
            let ran = try await pool.query("SELECT function FROM ran WHERE source_id = 42 ORDER BY function").rows
            #expect(
                try ran.map { try $0.decode(String.self, "function") } == ["backfill-user-data", "send-welcome-email"])
        }
    }

    @Test func unknownFunctionAndUndecodableArgumentsAreRecordedErrors() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let greet = Function(id: "greet") { (_: Greet, _: JobContext) in }
            let worker = testWorker(pool: pool, functions: [greet])
            let offload = Offload(pool: pool)
            let unknown = try await offload.enqueue(
                function: "nobody-home", arguments: ["a": 1] as [String: Int], options: JobOptions(maxAttempts: 1))
            let undecodable = try await offload.enqueue(
                function: "greet", arguments: ["wrong": 1] as [String: Int], options: JobOptions(maxAttempts: 1))
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await count(pool, "state = 'dead'") == 2 })
            }
            let unknownJob = try #require(try await JobRow.find(unknown, in: pool))
            #expect(unknownJob.errors.first?.message.contains("no function \"nobody-home\"") == true)
            let undecodableJob = try #require(try await JobRow.find(undecodable, in: pool))
            #expect(undecodableJob.errors.first?.message.contains("missing key \"name\"") == true)
        }
    }

    @Test func completionInTheHandlersTransactionIsAtomic() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.execute("CREATE TABLE effects (name text)")
            let function = Function(id: "greet") { (input: Greet, context: JobContext) in
                try await context.transaction(result: Greeting(text: "done")) { tx in
                    try await tx.execute("INSERT INTO effects VALUES (\(input.name))")
                }
            }
            let worker = testWorker(pool: pool, functions: [function])
            let id = try await Offload(pool: pool).enqueue(Greet(name: "once"))
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await JobRow.find(id, in: pool)?.state == .completed })
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM effects").single(Int.self, "n") == 1)
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(try PGJSON.decode(Greeting.self, from: try #require(job.resultJSON)) == Greeting(text: "done"))
        }
    }

    @Test func notifyWakesAnIdleWorker() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let function = Function(id: "greet") { (_: Greet, _: JobContext) in }
            // An hour-long poll: within this test only a wake-up can start the job at all, so the
            // outcome (it ran) proves the wake-up without timing anything.
            let events = WorkerEvents()
            let worker = testWorker(pool: pool, functions: [function], pollInterval: .seconds(3600), events: events)
            try await whileRunning(worker) { () async throws in
                // Listening, then idle: its claim after the listener came up found nothing.
                try await events.waitFor(.listening)
                try await events.waitFor(.idle)
                let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
                try await events.first { $0 == .wokeByNotification(queue: "default") }
                #expect(try await events.finished(id) == .completed)
            }
        }
    }

    @Test func cancellingARunningJobStopsItsHandler() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let function = Function(id: "greet") { (_: Greet, _: JobContext) in
                // The thing under test: a handler that runs until cancelled.
                try await Task.sleep(for: .seconds(3600))
            }
            let events = WorkerEvents()
            let worker = testWorker(pool: pool, functions: [function], events: events)
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await whileRunning(worker) { () async throws in
                try await events.started(id)
                try await pool.execute("SELECT offload.cancel(\(id))")
                #expect(try await events.finished(id) == .cancelled)
            }
            #expect(try await JobRow.find(id, in: pool)?.state == .cancelled)
        }
    }

    @Test func gracefulShutdownLeavesNothingRunning() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let function = Function(id: "greet") { (input: Greet, _: JobContext) in
                // The thing under test: a job still running at the shutdown deadline.
                if input.name == "slow" { try await Task.sleep(for: .seconds(3600)) }
            }
            let events = WorkerEvents()
            let worker = testWorker(pool: pool, functions: [function], concurrency: 4, events: events)
            let offload = Offload(pool: pool)
            let slow = try await offload.enqueue(Greet(name: "slow"))
            try await offload.enqueueMany((0..<20).map { Greet(name: "fast\($0)") }, on: pool)
            try await whileRunning(worker) { () async throws in
                try await events.started(slow)
            }
            #expect(try await events.finished(slow) == .available)
            // The worker has returned: the slow job was handed back at the deadline, nothing is running.
            #expect(try await count(pool, "state = 'running'") == 0)
            let handedBack = try #require(try await JobRow.find(slow, in: pool))
            #expect(handedBack.state == .available)
            #expect(handedBack.attempt == 0)
        }
    }

    @Test func terminatedConnectionsMidRunLoseNothing() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let function = Function(id: "greet") { (_: Greet, _: JobContext) in
                // Not a wait: each job takes a moment, so that many are mid-run when the connections go.
                try await Task.sleep(for: .milliseconds(5))
            }
            let worker = testWorker(pool: pool, functions: [function], concurrency: 20)
            let offload = Offload(pool: pool)
            try await offload.enqueueMany((0..<2_000).map { Greet(name: "n\($0)") }, on: pool)
            let admin = try await Connection.connect(pool.configuration)
            try await whileRunning(worker) { () async throws in
                #expect(
                    try await eventually(timeout: .seconds(60)) { try await count(pool, "state = 'completed'") > 200 })
                try await admin.execute(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """)
                #expect(
                    try await eventually(timeout: .seconds(60)) {
                        try await admin.query("SELECT count(*) AS n FROM offload.jobs WHERE state = 'completed'")
                            .single(Int.self, "n") == 2_000
                    })
            }
            #expect(try await count(pool, "true") == 2_000)
        }
    }
}

@Suite("Running jobs inline, as app tests do")
struct RunUntilEmptyTests {
    @Test func runsEveryRunnableJobAndRecordsOutcomes() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let greet = Function(id: "greet") { (input: Greet, _: JobContext) -> Greeting? in
                if input.name == "bad" { throw JobError.nonRetryable("bad name") }
                return Greeting(text: "hi \(input.name)")
            }
            let offload = Offload(pool: pool)
            try await offload.enqueueMany([Greet(name: "a"), Greet(name: "b"), Greet(name: "bad")], on: pool)
            let summary = try await testWorker(pool: pool, functions: [greet]).runUntilEmpty()
            #expect(summary.attempts == 3)
            #expect(try await count(pool, "state = 'completed'") == 2)
            #expect(try await count(pool, "state = 'dead'") == 1)
        }
    }
}

@Suite("Maintenance")
struct MaintenanceTests {
    @Test func prunesOldFinishedJobsAndEventsButKeepsDeadOnesAndActiveWork() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let old = try await offload.enqueue(Greet(name: "old"))
            let dead = try await offload.enqueue(Greet(name: "dead"))
            let waiting = try await offload.enqueue(Greet(name: "waiting"), options: JobOptions(delay: .seconds(3600)))
            let oldEvent = try await offload.send(name: "old/event", data: ["x": 1])
            try await pool.execute(
                """
                UPDATE offload.jobs SET state = 'completed', finished_at = now() - interval '2 days' WHERE id = \(old)
                """)
            try await pool.execute(
                """
                UPDATE offload.jobs SET state = 'dead', finished_at = now() - interval '2 days' WHERE id = \(dead)
                """)
            try await pool.execute(
                "UPDATE offload.events SET received_at = now() - interval '2 days' WHERE id = \(oldEvent)")
            let worker = testWorker(pool: pool, functions: [])
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await JobRow.find(old, in: pool) == nil })
                #expect(
                    try await eventually {
                        try await pool.query("SELECT count(*) AS n FROM offload.events").single(Int.self, "n") == 0
                    })
            }
            #expect(try await JobRow.find(dead, in: pool)?.state == .dead)
            #expect(try await JobRow.find(waiting, in: pool)?.state == .available)
        }
    }
}

extension MaintenanceTests {
    /// One pass prunes batch after batch until it has caught up: with a batch of 10 and 25 finished
    /// jobs past their retention, one pass deletes all 25 (it used to delete one batch per pass, which
    /// capped pruning below what workers finish under load). Exactly what is older than the retention
    /// goes; a job finished a minute inside it stays.
    @Test func onePassPrunesUntilCaughtUpAndExactlyPastTheRetention() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.execute(
                """
                INSERT INTO offload.jobs (queue, function, args, state, finished_at)
                SELECT 'default', 'greet', '{}', 'completed', now() - interval '1 hour' - i * interval '1 second'
                FROM generate_series(1, 25) AS i
                """)
            let keep = try await Offload(pool: pool).enqueue(Greet(name: "recent"))
            try await pool.execute(
                """
                UPDATE offload.jobs SET state = 'completed', finished_at = now() - interval '59 minutes' WHERE id = \(keep)
                """)
            var maintenance = Maintenance(
                configuration: MaintenanceConfiguration(completedRetention: .seconds(3_600), pruneBatchSize: 10),
                connectionConfiguration: pool.configuration, metrics: WorkerMetrics(), logger: Logger(label: "test")
            )
            // What one pass does, not how fast: on a loaded machine the suite once used up the 2-second budget
            // before the pass caught up.
            maintenance.pruneBudget = .seconds(3_600)
            let connection = try await Connection.connect(pool.configuration)
            #expect(try await maintenance.prune(on: connection) == 25)
            #expect(try await count(pool, "true") == 1)
            #expect(try await JobRow.find(keep, in: pool)?.state == .completed)
        }
    }
}

@Suite("A claim undone by a PostgreSQL crash")
struct UndoneClaimTests {
    /// Claims commit asynchronously, so a PostgreSQL crash can undo one while its handler runs. The
    /// job is then waiting again with its old attempt count; when the same worker claims it again, it
    /// must keep the run it has rather than start a second one. (The crash is simulated by resetting
    /// the row as recovery would leave it.)
    @Test func theSameWorkerDoesNotStartAJobItRunsAlready() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let invocations = Atomic<Int>(0)
            let release = AsyncStream<Void>.makeStream()
            let slow = Function(id: "greet") { (_: Greet, _: JobContext) in
                invocations.add(1, ordering: .relaxed)
                for await _ in release.stream { break }
            }
            let events = WorkerEvents()
            let worker = testWorker(pool: pool, functions: [slow], pollInterval: .milliseconds(50), events: events)
            let id = try await Offload(pool: pool).enqueue(Greet(name: "x"))
            try await whileRunning(worker) { () async throws in
                // The only job's claim (after any that found nothing).
                try await events.next { $0 == .claimed(count: 1) }
                try await pool.execute(
                    """
                    UPDATE offload.jobs
                    SET state = 'available', attempt = 0, worker_id = NULL, attempted_at = NULL, lease_until = NULL
                    WHERE id = \(id)
                    """)
                // Claimed again by the only worker, with the same attempt number. The claim loop
                // reports each job it starts before the claim itself: a second run would show by now.
                try await events.next { $0 == .claimed(count: 1) }
                #expect(try await JobRow.find(id, in: pool)?.attempt == 1)
                #expect(events.all.filter { $0.startedJobID == id }.count == 1, "the job ran a second time")
                release.continuation.yield()
                #expect(try await events.finished(id) == .completed)
            }
            #expect(invocations.load(ordering: .relaxed) == 1)
            #expect(try await JobRow.find(id, in: pool)?.attempt == 1)
        }
    }
}
