import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// `offload enqueue`, `offload send` and `offload prune`, run as processes against a real database.
@Suite("offload enqueue, send, prune")
struct EnqueueSendPruneTests {
    @Test func enqueueStoresTheArgumentsAndOptions() async throws {
        try await withCLIDatabase { url, pool in
            let run = try await OffloadProcess.run(
                [
                    "enqueue", "send-welcome-email", #"{"userId": 7, "big": 123456789012345678901}"#, "--queue", "mail",
                    "--delay", "5m", "--priority", "-5", "--max-attempts", "3", "--unique-key", "user-7", "--tag",
                    "cli",
                ],
                databaseURL: url)
            #expect(run.status == 0, "\(run)")
            let id = try #require(Int64(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            let job = try #require(try await JobRow.find(id, in: pool))
            #expect(job.function == "send-welcome-email")
            #expect(job.queue == "mail")
            #expect(job.maxAttempts == 3)
            // Passed through as written: the large integer keeps every digit.
            #expect(job.argumentsJSON == #"{"big": 123456789012345678901, "userId": 7}"#)
            let row = try #require(
                try await pool.query(
                    """
                    SELECT priority, unique_key, tags, extract(epoch FROM run_at - created_at)::float8 AS delay
                    FROM offload.jobs WHERE id = \(id)
                    """
                ).first)
            #expect(try row.decode(Int.self, "priority") == -5)
            #expect(try row.decode(String?.self, "unique_key") == "user-7")
            #expect(try row.decode([String].self, "tags") == ["cli"])
            let delay = try row.decode(Double.self, "delay")
            #expect(delay > 299 && delay < 301)

            let again = try await OffloadProcess.run(
                ["enqueue", "send-welcome-email", "{}", "--unique-key", "user-7"], databaseURL: url)
            #expect(again.stdout == run.stdout, "an active unique key returns the existing job")

            let scheduled = try await OffloadProcess.run(
                ["enqueue", "report", "--run-at", "2031-01-02T03:04:05Z"], databaseURL: url)
            let scheduledID = try #require(Int64(scheduled.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(try await JobRow.find(scheduledID, in: pool)?.runAt == Date(timeIntervalSince1970: 1_925_089_445))
            #expect(try await JobRow.find(scheduledID, in: pool)?.argumentsJSON == "{}")

            let fromStdin = try await OffloadProcess.run(
                ["enqueue", "report", "-"], databaseURL: url, input: #"{"day": "2031-01-02"}"#)
            let stdinID = try #require(
                Int64(fromStdin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(fromStdin)")
            #expect(try await JobRow.find(stdinID, in: pool)?.argumentsJSON == #"{"day": "2031-01-02"}"#)
        }
    }

    @Test func sendFansOutAndHonoursTheIdempotencyKey() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            try await offload.register([
                Function(id: "backfill-user-data", events: ["api/source.connected"]) { (_: Greet, _) in },
                Function(id: "send-welcome-email", events: ["api/source.connected"]) { (_: Greet, _) in },
            ])
            let arguments = ["send", "api/source.connected", #"{"name": "x"}"#, "--idempotency-key", "source-1"]
            let first = try await OffloadProcess.run(arguments, databaseURL: url)
            #expect(first.status == 0, "\(first)")
            let eventID = try #require(Int64(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            let jobs = try await JobRow.all(pool)
            #expect(jobs.map(\.function).sorted() == ["backfill-user-data", "send-welcome-email"])
            #expect(jobs.allSatisfy { $0.eventID == eventID })
            #expect(first.stderr.contains("(backfill-user-data)") && first.stderr.contains("(send-welcome-email)"))

            let second = try await OffloadProcess.run(arguments, databaseURL: url)
            #expect(second.stdout == first.stdout)
            #expect(try await JobRow.all(pool).count == 2)

            let nobody = try await OffloadProcess.run(["send", "api/nobody.listens"], databaseURL: url)
            #expect(nobody.status == 0)
            #expect(nobody.stderr.contains("no function subscribes to \"api/nobody.listens\""))
        }
    }

    @Test func pruneDeletesOldFinishedJobsAndSaysHowMany() async throws {
        try await withCLIDatabase { url, pool in
            try await pool.execute(
                """
                INSERT INTO offload.jobs (function, state, finished_at)
                SELECT 'f', s.state::offload.job_state, now() - s.age
                FROM (VALUES ('completed', interval '8 days'), ('cancelled', interval '9 days'), ('dead', interval '8 days'),
                             ('completed', interval '2 days')) AS s(state, age),
                     generate_series(1, 5)
                """)
            let defaults = try await OffloadProcess.run(["prune", "--batch-size", "2"], databaseURL: url)
            #expect(defaults.status == 0, "\(defaults)")
            #expect(defaults.stdout == "deleted 10 jobs (completed, cancelled) that finished more than 7d ago\n")
            #expect(try await count(pool, "true") == 10)

            let dead = try await OffloadProcess.run(
                ["prune", "--older-than", "1d", "--state", "dead", "--json"], databaseURL: url)
            #expect(try dead.jsonObject()["deleted"] as? Int == 5)
            #expect(try await count(pool, "state = 'dead'") == 0)
            #expect(try await count(pool, "state = 'completed'") == 5)

            let unfinished = try await OffloadProcess.run(["prune", "--state", "running"], databaseURL: url)
            #expect(unfinished.status == 64)
            #expect(unfinished.stderr.contains("only finished jobs (completed, cancelled, dead) can be pruned"))
        }
    }
}
