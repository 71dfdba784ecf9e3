import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// Issue 13, finding 4: stored text with escape sequences and newlines (function and queue names, error
/// messages and types, worker ids, hostnames, tags, keys) reaches no terminal raw. The rows are written
/// with UPDATE, as data already stored before the SQL API refused such names would be.
@Suite("offload: no raw control characters in output")
struct TerminalInjectionTests {
    static let function = "evil\u{1B}]0;pwned\u{07}\nfake"
    static let queue = "q\u{1B}[2J\r\u{9B}31m"
    static let escapedFunction = #"evil\u001b]0;pwned\u0007\nfake"#

    @Test func jobsListShowStatusAndRetryPrintNoRawControlCharacters() async throws {
        try await withCLIDatabase { url, pool in
            let offload = Offload(pool: pool)
            let dead = try await offload.enqueue(function: "plain", arguments: Greet(name: "a\u{1B}[31m"))
            let waiting = try await offload.enqueue(function: "plain", arguments: Greet(name: "b"))
            try await makeDead(dead, pool: pool, messages: ["boom\u{1B}[31m\nsecond line\r\u{1B}[2K"])
            try await pool.execute(
                """
                UPDATE offload.jobs
                SET function = \(Self.function), queue = \(Self.queue), unique_key = \("k\u{1B}[1m\n"),
                    tags = ARRAY[\("t\u{1B}[1m")], worker_id = \("w\u{1B}[1m")
                WHERE id IN (\(dead), \(waiting))
                """)
            try await pool.execute(
                """
                UPDATE offload.jobs
                SET errors = errors || jsonb_build_array(jsonb_build_object(
                    'at', now(), 'attempt', 2, 'message', \("m\u{1B}[5m")::text, 'type', \("T\u{1B}[1m")::text,
                    'worker', \("w\u{1B}]0;x\u{07}")::text))
                WHERE id = \(dead)
                """)
            try await pool.execute(
                """
                INSERT INTO offload.workers (id, hostname, pid, queues, concurrency)
                VALUES (\("worker\u{1B}[2J"), \("host\n\u{1B}]0;t\u{07}"), 1, ARRAY[\(Self.queue)], 1)
                """)

            let runs: [[String]] = [
                ["jobs", "list"], ["jobs", "list", "--json"], ["jobs", "list", "--state", "dead"],
                ["jobs", "show", String(dead)], ["jobs", "show", String(dead), "--json"],
                ["status"], ["status", "--json"],
                ["jobs", "retry", "--dead", "--dry-run"], ["jobs", "retry", "--dead", "--dry-run", "--json"],
                ["jobs", "retry", String(waiting)],
            ]
            for arguments in runs {
                let run = try await OffloadProcess.run(arguments, databaseURL: url)
                let output = run.stdout + run.stderr
                let raw = output.unicodeScalars.filter { $0.isUnsafeForTerminals && $0 != "\n" }
                #expect(raw.isEmpty, "offload \(arguments.joined(separator: " ")): \(raw.map(\.value))\n\(run)")
            }

            let list = try await OffloadProcess.run(["jobs", "list"], databaseURL: url)
            #expect(list.status == 0, "\(list)")
            #expect(list.stdout.contains(Self.escapedFunction), "\(list)")
            #expect(list.stdout.split(separator: "\n").count == 3, "one header line and one line per job\n\(list)")
            let show = try await OffloadProcess.run(["jobs", "show", String(dead)], databaseURL: url)
            #expect(show.stdout.contains(Self.escapedFunction), "\(show)")
            #expect(show.stdout.contains(#"    boom\u001b[31m"# + "\n" + #"    second line\r\u001b[2K"#), "\(show)")
            #expect(show.stdout.contains(#"T\u001b[1m, worker w\u001b]0;x\u0007"#), "\(show)")
            let status = try await OffloadProcess.run(["status"], databaseURL: url)
            #expect(status.stdout.contains(#"host\n\u001b]0;t\u0007"#), "\(status)")
            let json = try await OffloadProcess.run(["jobs", "show", String(dead), "--json"], databaseURL: url)
            #expect(try json.jsonObject()["function"] as? String == Self.function)
        }
    }
}
