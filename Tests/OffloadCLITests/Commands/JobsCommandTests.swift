import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// `offload jobs list|show|retry|cancel`, run as a process against a real database.
@Suite("offload jobs")
struct JobsCommandTests {
    @Test func listJSONReturnsExactlyTheMatchingRows() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            let mail = try await offload.enqueue(
                function: "greet", arguments: Greet(name: "a"), options: JobOptions(queue: "mail"))
            let dead = try await offload.enqueue(function: "greet", arguments: Greet(name: "b"))
            let other = try await offload.enqueue(function: "other", arguments: Greet(name: "c"))
            try await makeDead(dead, pool: pool)

            let all = try await OffloadProcess.run(["jobs", "list", "--json"], databaseURL: url)
            #expect(all.status == 0, "\(all)")
            #expect(try all.jsonArray().map { $0["id"] as? Int } == [Int(other), Int(dead), Int(mail)])

            let deadOnly = try await OffloadProcess.run(
                ["jobs", "list", "--state", "dead", "--json"], databaseURL: url)
            let rows = try deadOnly.jsonArray()
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            let stored = try #require(try await JobRow.find(dead, in: pool))
            #expect(row["id"] as? Int == Int(stored.id))
            #expect(row["state"] as? String == "dead")
            #expect(row["function"] as? String == stored.function)
            #expect(row["queue"] as? String == stored.queue)
            #expect(row["attempt"] as? Int == stored.attempt)
            #expect((row["arguments"] as? [String: Any])?["name"] as? String == "b")
            #expect(((row["errors"] as? [[String: Any]])?.first)?["message"] as? String == "deliberate failure")

            let filtered = try await OffloadProcess.run(
                ["jobs", "list", "--function", "greet", "--queue", "mail", "--json"], databaseURL: url)
            #expect(try filtered.jsonArray().map { $0["id"] as? Int } == [Int(mail)])
            let limited = try await OffloadProcess.run(
                ["jobs", "list", "--limit", "1", "--state", "available,dead", "--json"], databaseURL: url)
            #expect(try limited.jsonArray().map { $0["id"] as? Int } == [Int(other)])

            let table = try await OffloadProcess.run(["jobs", "list", "--state", "dead"], databaseURL: url)
            #expect(table.status == 0)
            #expect(table.stdout.contains("ID  STATE  QUEUE    FUNCTION  ATTEMPT"))
            #expect(table.stdout.contains("deliberate failure"))

            let badState = try await OffloadProcess.run(["jobs", "list", "--state", "deadish"], databaseURL: url)
            #expect(badState.status == 64)
            #expect(badState.stderr.contains("error: unknown state \"deadish\" for --state"))
        }
    }

    @Test func showPrintsArgumentsErrorsAndTimestamps() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            let id = try await offload.enqueue(
                function: "greet", arguments: Greet(name: "Zoë"), options: JobOptions(queue: "mail", maxAttempts: 2))
            try await makeDead(id, pool: pool, messages: ["SMTP 451: try later", "SMTP 550: mailbox unavailable"])

            let json = try await OffloadProcess.run(["jobs", "show", String(id), "--json"], databaseURL: url)
            #expect(json.status == 0, "\(json)")
            let job = try json.jsonObject()
            #expect(job["id"] as? Int == Int(id))
            #expect(job["state"] as? String == "dead")
            #expect(job["attempt"] as? Int == 2)
            #expect(job["max_attempts"] as? Int == 2)
            #expect((job["arguments"] as? [String: Any])?["name"] as? String == "Zoë")
            let errors = try #require(job["errors"] as? [[String: Any]])
            #expect(
                errors.map { $0["message"] as? String } == ["SMTP 451: try later", "SMTP 550: mailbox unavailable"])
            #expect(errors.map { $0["attempt"] as? Int } == [1, 2])
            #expect(errors.first?["worker"] as? String == "test-worker")
            #expect((job["finished_at"] as? String)?.hasSuffix("Z") == true)
            #expect(job["result"] is NSNull)

            let human = try await OffloadProcess.run(["jobs", "show", String(id)], databaseURL: url)
            #expect(human.status == 0)
            for expected in [
                "state:", "dead", "attempts:   2 of 2", "\"name\": \"Zoë\"", "errors (2, oldest first):",
                "SMTP 550: mailbox unavailable", "worker test-worker",
            ] {
                #expect(human.stdout.contains(expected), "missing \(expected) in \(human)")
            }
        }
    }

    @Test func retryDeadToQueueMovesExactlyTheMatchingJobs() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            func job(_ function: String, _ queue: String) async throws -> Int64 {
                try await offload.enqueue(
                    function: function, arguments: Greet(name: "x"), options: JobOptions(queue: queue))
            }
            let match1 = try await job("send-email", "mail")
            let match2 = try await job("send-email", "mail")
            let oldMatch = try await job("send-email", "mail")
            let otherFunction = try await job("resize", "mail")
            let otherQueue = try await job("send-email", "default")
            let waiting = try await job("send-email", "mail")
            for id in [match1, match2, otherFunction, otherQueue] { try await makeDead(id, pool: pool) }
            try await makeDead(oldMatch, pool: pool, finishedAgo: "2 days")
            let arguments = [
                "jobs", "retry", "--dead", "--function", "send-email", "--queue", "mail", "--since", "1d", "--to-queue",
                "mail-slow",
            ]

            let dry = try await OffloadProcess.run(arguments + ["--dry-run", "--json"], databaseURL: url)
            #expect(dry.status == 0, "\(dry)")
            let plan = try dry.jsonObject()
            #expect(plan["dry_run"] as? Bool == true)
            #expect((plan["retried"] as? [[String: Any]])?.map { $0["id"] as? Int } == [Int(match1), Int(match2)])
            #expect(try await count(pool, "state = 'dead'") == 5, "a dry run changes nothing")

            let run = try await OffloadProcess.run(arguments, databaseURL: url)
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == "retried 2 dead jobs on queue mail-slow\n")
            let jobs = Dictionary(uniqueKeysWithValues: try await JobRow.all(pool).map { ($0.id, $0) })
            for id in [match1, match2] {
                #expect(jobs[id]?.state == .available)
                #expect(jobs[id]?.queue == "mail-slow")
                #expect(jobs[id]?.attempt == 0)
                #expect(jobs[id]?.errors.count == 1, "the history is kept")
            }
            for id in [oldMatch, otherFunction, otherQueue] {
                #expect(jobs[id]?.state == .dead)
                #expect(jobs[id]?.queue != "mail-slow")
            }
            #expect(jobs[waiting]?.queue == "mail")
            #expect(jobs[waiting]?.state == .available)
        }
    }

    @Test func retryByIDReportsEachJobAndFailsForUnknownOnes() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            let dead = try await offload.enqueue(function: "greet", arguments: Greet(name: "a"))
            let waiting = try await offload.enqueue(function: "greet", arguments: Greet(name: "b"))
            try await makeDead(dead, pool: pool)

            let ok = try await OffloadProcess.run(["jobs", "retry", String(dead)], databaseURL: url)
            #expect(ok.status == 0, "\(ok)")
            #expect(ok.stdout == "retried job \(dead) on queue default\n")
            #expect(try await JobRow.find(dead, in: pool)?.state == .available)

            let mixed = try await OffloadProcess.run(["jobs", "retry", String(waiting), "999999"], databaseURL: url)
            #expect(mixed.status == 1)
            #expect(mixed.stderr.contains("error: job \(waiting) is available already"))
            #expect(mixed.stderr.contains("error: no job 999999"))
            #expect(mixed.stderr.contains("retried 0 of 2 jobs"))

            let neither = try await OffloadProcess.run(["jobs", "retry"], databaseURL: url)
            #expect(neither.status == 64)
            #expect(neither.stderr.contains("give the ids of the jobs to retry, or --dead"))
            #expect(neither.stderr.contains("Usage: offload jobs retry"))
        }
    }

    @Test func cancelCancelsWaitingJobsAndFailsForUnknownOnes() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            let waiting = try await offload.enqueue(function: "greet", arguments: Greet(name: "a"))
            let done = try await offload.enqueue(function: "greet", arguments: Greet(name: "b"))
            try await pool.execute(
                "UPDATE offload.jobs SET state = 'completed', finished_at = now() WHERE id = \(done)")

            let run = try await OffloadProcess.run(["jobs", "cancel", String(waiting), String(done)], databaseURL: url)
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == "cancelled job \(waiting)\njob \(done) is completed already; left as it is\n")
            #expect(try await JobRow.find(waiting, in: pool)?.state == .cancelled)

            let unknown = try await OffloadProcess.run(["jobs", "cancel", "424242", "--json"], databaseURL: url)
            #expect(unknown.status == 1)
            #expect(unknown.stderr == "error: no job 424242\n")
            #expect((try unknown.json() as? [[String: Any]])?.first?["outcome"] as? String == "not_found")
        }
    }

    @Test func unknownJobIDIsAnErrorForShow() async throws {
        try await withCLIDatabase { url, _ in
            let run = try await OffloadProcess.run(["jobs", "show", "987654"], databaseURL: url)
            #expect(run.status == 1)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr == "error: no job 987654 (it never existed, or it finished and was pruned)\n")

            let notAnID = try await OffloadProcess.run(["jobs", "show", "abc"], databaseURL: url)
            #expect(notAnID.status == 64)
            #expect(notAnID.stderr.contains("\"abc\" is not a job id"))
        }
    }
}

func count(_ pool: ConnectionPool, _ where: String) async throws -> Int {
    try await pool.query(Query(unsafeSQL: "SELECT count(*) AS n FROM offload.jobs WHERE \(`where`)")).single(
        Int.self, "n")
}
