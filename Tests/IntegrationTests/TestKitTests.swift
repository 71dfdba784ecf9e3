import Foundation
import Offload
import PGClient
import Synchronization
import Testing

@testable import OffloadTestKit

@Suite("WorkerEvents, without a worker")
struct WorkerEventsTests {
    @Test func nextTakesEventsInOrderAndFirstLooksAtAllOfThem() async throws {
        let events = WorkerEvents()
        events.record(.started)
        events.record(.idle)
        events.record(.claimed(count: 1))
        events.record(.idle)
        try await events.waitFor(.idle)
        #expect(try await events.next { if case .claimed = $0 { true } else { false } } == .claimed(count: 1))
        try await events.waitFor(.idle)  // the second one: the first was taken
        #expect(try await events.first { $0 == .started } == .started)  // behind the cursor, still found
        #expect(events.all == [.started, .idle, .claimed(count: 1), .idle])
    }

    @Test func aWaitReturnsWhenItsEventComesLater() async throws {
        let events = WorkerEvents()
        async let finished = events.finished(7)
        async let next = events.next { $0.startedJobID == 7 }
        while events.waiting < 2 { await Task.yield() }
        events.record(.jobStarted(id: 7, function: "greet", attempt: 1))
        events.record(.jobFinished(id: 7, attempt: 1, state: .retryable))
        #expect(try await finished == .retryable)
        #expect(try await next == .jobStarted(id: 7, function: "greet", attempt: 1))
    }

    /// A wait whose event never comes throws, naming the wait and listing what was seen, instead of
    /// hanging. (The short timeout is the point of the test, not a timing assertion.)
    @Test func aWaitThatRunsOutOfTimeSaysWhatItSaw() async throws {
        let events = WorkerEvents()
        events.record(.started)
        events.record(.claimed(count: 0))
        let error = try await #require(throws: WorkerEventsTimeout.self) {
            try await events.waitFor(.stopped, timeout: .milliseconds(20))
        }
        #expect(error.seen == [.started, .claimed(count: 0)])
        #expect(error.description.contains("TestKitTests.swift:"), "\(error)")
        #expect(error.description.contains("started, claimed(0)"), "\(error)")
    }

    @Test func aCancelledWaitThrowsCancellation() async throws {
        let events = WorkerEvents()
        let wait = Task { try await events.waitFor(.stopped) }
        wait.cancel()
        await #expect(throws: CancellationError.self) { try await wait.value }
        events.record(.stopped)  // nobody waits any more: nothing to resume twice
    }
}

@Suite("A worker's events")
struct WorkerEventStreamTests {
    /// What a worker reports over a short life: it starts, listens, claims, runs each job and records
    /// its outcome (committed: the row says so when the event arrives), goes idle, and stops.
    @Test func aWorkerReportsItsLife() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let greet = Function(id: "greet") { (input: Greet, _: JobContext) -> Greeting? in
                if input.name == "bad" { throw JobError.nonRetryable("bad name") }
                return Greeting(text: "hi")
            }
            let inTransaction = Function(id: "in-transaction") { (_: Greet, context: JobContext) in
                try await context.transaction(result: Greeting(text: "done")) { _ in }
            }
            let events = WorkerEvents()
            let worker = testWorker(pool: pool, functions: [greet, inTransaction], events: events)
            let offload = Offload(pool: pool)
            let good = try await offload.enqueue(Greet(name: "Ada"))
            let bad = try await offload.enqueue(Greet(name: "bad"))
            let own = try await offload.enqueue(function: "in-transaction", arguments: Greet(name: "x"))
            try await whileRunning(worker) { () async throws in
                try await events.waitFor(.started)
                #expect(try await events.finished(good) == .completed)
                #expect(try await JobRow.find(good, in: pool)?.state == .completed)
                #expect(try await events.finished(bad) == .dead)
                #expect(try await JobRow.find(bad, in: pool)?.state == .dead)
                #expect(try await events.finished(own) == .completed)
                try await events.first { $0 == .listening }
                try await events.first { $0 == .idle }
            }
            try await events.waitFor(.stopped)
            let all = events.all
            for id in [good, bad, own] {
                #expect(all.contains(.jobStarted(id: id, function: id == own ? "in-transaction" : "greet", attempt: 1)))
            }
            let claimed = all.reduce(0) { if case .claimed(let count) = $1 { $0 + count } else { $0 } }
            #expect(claimed == 3)
            #expect(all.first == .started)
            #expect(all.last == .stopped)
        }
    }
}

@Suite("expectEnqueued")
struct ExpectEnqueuedTests {
    struct Welcome: Codable, Sendable, Equatable {
        var userId: Int
        var locale: String?
    }

    @Test func findsAJobByItsArgumentsOrAPredicate() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            try await offload.enqueue(Greet(name: "Bob"))
            let ada = try await offload.enqueue(Greet(name: "Ada"))
            // Enqueued from SQL, as another language would: spacing and key order are its own.
            let welcome = try await pool.query(
                """
                SELECT offload.enqueue('send-welcome-email', '{ "userId": 7,  "locale": "fr" }') AS id
                """
            ).single(Int64.self, "id")

            #expect(try await expectEnqueued(Greet(name: "Ada"), in: pool).id == ada)
            #expect(try await expectEnqueued(Greet.self, in: pool) { $0.name.hasPrefix("A") }.id == ada)
            // Compared as JSON values, not as text.
            #expect(
                try await expectEnqueued(
                    function: "send-welcome-email", matching: Welcome(userId: 7, locale: "fr"), in: pool
                ).id == welcome)
            #expect(
                try await expectEnqueued(function: "send-welcome-email", as: Welcome.self, in: pool) {
                    $0.userId == 7
                }.id == welcome)
            // Inside the caller's transaction, before it commits.
            try await pool.transaction { tx in
                let pending = try await offload.enqueue(Greet(name: "Eve"), on: tx)
                #expect(try await expectEnqueued(Greet(name: "Eve"), in: tx).id == pending)
            }
        }
    }

    /// An event's data becomes its subscribers' job arguments: the event value itself matches.
    @Test func findsTheJobsAnEventFannedOutTo() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await Offload(pool: pool).register([
                Function.on(SourceConnected.self, id: "backfill-user-data") { _, _ in },
                Function.on(SourceConnected.self, id: "send-welcome-email") { _, _ in },
            ])
            try await Offload(pool: pool).send(SourceConnected(sourceId: 42, userId: 7))
            for function in ["backfill-user-data", "send-welcome-email"] {
                let job = try await expectEnqueued(
                    function: function, matching: SourceConnected(sourceId: 42, userId: 7), in: pool)
                #expect(job.eventID != nil)
            }
        }
    }

    @Test func aMissingJobFailsListingWhatWasEnqueued() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let none = try await #require(throws: EnqueuedJobNotFound.self) {
                try await expectEnqueued(Greet(name: "Ada"), in: pool)
            }
            #expect(
                none.description.hasSuffix(
                    "expected a job of \"greet\" with arguments {\"name\":\"Ada\"}; no job was enqueued"), "\(none)")

            let offload = Offload(pool: pool)
            let bob = try await offload.enqueue(Greet(name: "Bob"))
            try await offload.enqueue(function: "other", arguments: ["n": 1], options: JobOptions(queue: "mail"))
            let error = try await #require(throws: EnqueuedJobNotFound.self) {
                try await expectEnqueued(Greet.self, in: pool) { $0.name == "Ada" }
            }
            #expect(error.total == 2)
            #expect(error.description.contains("TestKitTests.swift:"), "\(error)")
            #expect(error.description.contains("2 jobs were enqueued:"), "\(error)")
            #expect(
                error.description.contains("#\(bob) \"greet\" (available, queue default) {\"name\": \"Bob\"}"),
                "\(error)")
            #expect(error.description.contains("\"other\" (available, queue mail) {\"n\": 1}"), "\(error)")
        }
    }
}

/// The README's "Testing your functions" example, kept compiling and passing.
@Suite("The README's testing example")
struct ReadmeTestingExample {
    struct SourceConnected: Event, Equatable {
        static let name = "api/source.connected"
        var sourceId: Int
    }

    let backfill = Function.on(SourceConnected.self, id: "backfill-user-data") { _, _ in }

    /// Stands in for the app's request handler: the business write and the event, in one transaction.
    func connectSource(url: String, pool: ConnectionPool) async throws -> Int {
        try await pool.execute("CREATE TABLE IF NOT EXISTS sources (id serial PRIMARY KEY, url text)")
        return try await pool.transaction { tx in
            let id = try await tx.query("INSERT INTO sources (url) VALUES (\(url)) RETURNING id").single(Int.self, "id")
            try await Offload(pool: pool).send(SourceConnected(sourceId: id), on: tx)
            return id
        }
    }

    @Test func connectingASourceEnqueuesTheBackfill() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await Offload(pool: pool).register([backfill])  // subscribe, as a worker does when it starts
            let id = try await connectSource(url: "https://example.com", pool: pool)  // your code
            try await expectEnqueued(function: "backfill-user-data", matching: SourceConnected(sourceId: id), in: pool)
        }
    }

    @Test func theBackfillRuns() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let events = WorkerEvents()
            try await whileRunning(testWorker(pool: pool, functions: [backfill], events: events)) {
                let id = try await Offload(pool: pool).enqueue(
                    function: "backfill-user-data", arguments: SourceConnected(sourceId: 1))
                #expect(try await events.finished(id) == .completed)  // waits for the outcome: no sleep
            }
        }
    }
}
