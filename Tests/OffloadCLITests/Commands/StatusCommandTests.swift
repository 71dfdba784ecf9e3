import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// `offload status`, run as a process against a real database.
@Suite("offload status")
struct StatusCommandTests {
    @Test func jsonMatchesTheMonitoringViews() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            try await offload.enqueue(function: "greet", arguments: Greet(name: "now"))
            try await offload.enqueue(function: "greet", arguments: Greet(name: "now too"))
            try await offload.enqueue(
                function: "greet", arguments: Greet(name: "later"), options: JobOptions(delay: .seconds(600)))
            let dead = try await offload.enqueue(
                function: "send-email", arguments: Greet(name: "x"), options: JobOptions(queue: "mail"))
            try await makeDead(dead, pool: pool)
            try await pool.execute(
                "UPDATE offload.jobs SET run_at = now() - interval '2 minutes' WHERE args->>'name' = 'now'")
            try await pool.execute(
                """
                INSERT INTO offload.jobs (queue, function, state, finished_at)
                SELECT 'reports', 'nightly', 'completed', now() FROM generate_series(1, 6)
                """)
            try await pool.execute(
                """
                INSERT INTO offload.workers (id, hostname, pid, queues, concurrency, started_at, heartbeat_at)
                VALUES ('worker-1', 'host-a', 4242, '{default,mail}', 25, now() - interval '1 hour', now())
                """)

            let run = try await OffloadProcess.run(["status", "--json"], databaseURL: url)
            #expect(run.status == 0, "\(run)")
            let status = try run.jsonObject()
            #expect((status["at"] as? String)?.hasSuffix("Z") == true)
            let queues = try #require(status["queues"] as? [[String: Any]])
            let byKey = Dictionary(uniqueKeysWithValues: queues.map { ("\($0["queue"]!)/\($0["function"]!)", $0) })
            #expect(Set(byKey.keys) == ["default/greet", "mail/send-email", "reports/nightly"])

            // Every count is what the view says.
            for row in try await pool.query("SELECT * FROM offload.queue_stats").rows {
                let key = "\(try row.decode(String.self, "queue"))/\(try row.decode(String.self, "function"))"
                let entry = try #require(byKey[key])
                for column in ["available", "scheduled", "running", "retryable", "dead"] {
                    #expect(entry[column] as? Int == (try row.decode(Int.self, column)), "\(key) \(column)")
                }
            }
            let greet = try #require(byKey["default/greet"])
            #expect(greet["available"] as? Int == 2)
            #expect(greet["scheduled"] as? Int == 1)
            let lag = try #require(greet["lag_seconds"] as? Double)
            #expect(lag >= 120 && lag < 180)
            #expect(greet["oldest_run_at"] is String)
            let nightly = try #require(byKey["reports/nightly"])
            let rate = try #require(nightly["completed_per_minute"] as? Double)
            #expect(rate > 6.0 / 5.0 - 0.01 && rate <= 6.0 / 4.0)
            #expect((byKey["mail/send-email"]?["failed_per_minute"] as? Double ?? 0) > 0)

            let workers = try #require(status["workers"] as? [[String: Any]])
            #expect(workers.count == 1)
            #expect(workers.first?["id"] as? String == "worker-1")
            #expect(workers.first?["pid"] as? Int == 4242)
            #expect(workers.first?["queues"] as? [String] == ["default", "mail"])
            #expect(workers.first?["running_jobs"] as? Int == 0)
        }
    }

    @Test func tableShowsQueuesAndWorkers() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            try await offload.enqueue(function: "greet", arguments: Greet(name: "a"))
            let run = try await OffloadProcess.run(["status"], databaseURL: url)
            #expect(run.status == 0, "\(run)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(
                lines.first?.split(separator: " ") == [
                    "QUEUE", "FUNCTION", "AVAILABLE", "SCHEDULED", "RUNNING", "RETRYABLE", "DEAD", "LAG", "DONE/MIN",
                ])
            // Numbers are right-aligned under their headers.
            #expect(
                lines.count >= 2
                    && lines[1].hasPrefix("default  greet             1          0        0          0     0"))
            #expect(run.stdout.contains("No live workers"))
        }
    }

    @Test func watchPrintsOneJSONDocumentPerLine() async throws {
        try await withCLIDatabase { url, _ in
            // Stopped by the test after a few rounds; a watch only ends when interrupted.
            let executable = try OffloadProcess.executable()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["status", "--json", "--watch", "0.2"]
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = url
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let lines = try await readLines(pipe.fileHandleForReading, count: 3)
            process.terminate()
            process.waitUntilExit()
            #expect(lines.count == 3)
            for line in lines {
                let document = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(document?["queues"] is [Any])
            }
        }
    }

    /// Reads `count` lines on a Dispatch thread (a blocking read must not hold a cooperative thread).
    private func readLines(_ handle: FileHandle, count: Int) async throws -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var buffer = Data()
                var lines: [String] = []
                while lines.count < count {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    buffer.append(chunk)
                    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")), lines.count < count {
                        lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                        buffer.removeSubrange(buffer.startIndex...newline)
                    }
                }
                continuation.resume(returning: lines)
            }
        }
    }
}
