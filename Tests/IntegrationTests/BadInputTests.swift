import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// Bad input, case by case (issue 8, part C). Each ends in a clear error for the caller, or a job
/// stored exactly as given, or a recorded job error; never a crash, a lost job or a silently altered
/// one. The worker-side cases are in `BadInputWorkerTests`, start-up failures of a worker process in
/// ProcessTests/StartupFailureTests.
@Suite("Bad input: enqueue")
struct BadInputTests {
    /// Input the enqueue API must refuse, with the SQLSTATE (or client error) and the words that say why.
    struct Rejected: Sendable, CustomStringConvertible {
        let description: String
        /// The SQLSTATE, or nil for an error raised in the client before anything is sent.
        let sqlState: String?
        let mentions: String
        let enqueue: @Sendable (Offload) async throws -> Void

        init(
            _ description: String, _ sqlState: String?, mentions: String,
            _ enqueue: @escaping @Sendable (Offload) async throws -> Void
        ) {
            self.description = description
            self.sqlState = sqlState
            self.mentions = mentions
            self.enqueue = enqueue
        }
    }

    static let rejected: [Rejected] = [
        Rejected("args an array", "22023", mentions: "args must be a JSON object, got array") {
            try await $0.enqueue(function: "greet", arguments: [1, 2, 3])
        },
        Rejected("args a string, from SQL", "22023", mentions: "got string") {
            try await $0.pool.execute("SELECT offload.enqueue('greet', '\"text\"')")
        },
        Rejected("args JSON null, from SQL", "22023", mentions: "got null") {
            try await $0.pool.execute("SELECT offload.enqueue('greet', 'null')")
        },
        Rejected("args SQL NULL", "22004", mentions: "args must not be NULL") {
            try await $0.pool.execute("SELECT offload.enqueue('greet', NULL)")
        },
        Rejected("event data an array", "22023", mentions: "data must be a JSON object") {
            try await $0.send(name: "api/thing.happened", data: ["a", "b"])
        },
        Rejected("empty function name", "22023", mentions: "function must be 1 to 200 characters long, got 0") {
            try await $0.enqueue(function: "", arguments: Greet(name: "x"))
        },
        Rejected("800-character function name", "22023", mentions: "got 800") {
            try await $0.enqueue(function: String(repeating: "f", count: 800), arguments: Greet(name: "x"))
        },
        Rejected("empty event name", "22023", mentions: "name must be 1 to 200 characters long") {
            try await $0.send(name: "", data: Greet(name: "x"))
        },
        Rejected("101-character queue", "22023", mentions: "queue must be 1 to 100 characters long, got 101") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(queue: String(repeating: "q", count: 101)))
        },
        Rejected("priority -101", "22023", mentions: "priority") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(priority: -101))
        },
        Rejected("priority Int.max", "22003", mentions: "out of range for type integer") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(priority: .max))
        },
        Rejected("max_attempts 0", "22023", mentions: "max_attempts must be between 1 and 1000, got 0") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(maxAttempts: 0))
        },
        Rejected("max_attempts -5", "22023", mentions: "got -5") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(maxAttempts: -5))
        },
        Rejected("max_attempts Int.min", "22003", mentions: "out of range for type integer") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(maxAttempts: .min))
        },
        Rejected(
            "NUL (\\u0000) in args: jsonb cannot hold it", "22P05", mentions: "\\u0000 cannot be converted to text"
        ) {
            try await $0.enqueue(Greet(name: "nul\u{0}byte"))
        },
        Rejected("NUL in the function name", nil, mentions: "NUL") {
            try await $0.enqueue(function: "greet\u{0}evil", arguments: Greet(name: "x"))
        },
        Rejected("NUL in the queue name", nil, mentions: "NUL") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(queue: "mail\u{0}"))
        },
        Rejected("NUL in a unique key", nil, mentions: "NUL") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(uniqueKey: "key\u{0}suffix"))
        },
        Rejected("NUL in a tag", nil, mentions: "NUL") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(tags: ["ok", "t\u{0}ag"]))
        },
        Rejected("invalid UTF-8, from SQL", "22021", mentions: "invalid byte sequence for encoding \"UTF8\"") {
            try await $0.pool.execute(
                "SELECT offload.enqueue('greet', ('{\"name\": \"' || convert_from('\\xc3'::bytea, 'UTF8') || '\"}')::jsonb)"
            )
        },
        Rejected("a lone UTF-16 surrogate escape in JSON", "22P02", mentions: "invalid input syntax for type json") {
            try await $0.enqueueMany([
                EnqueueRequest(function: "greet", arguments: PGJSON(rawJSON: #"{"name": "\ud800"}"#))
            ])
        },
        Rejected("JSON nested 100,000 deep", "54001", mentions: "stack depth limit exceeded") {
            let deep = #"{"a":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
            try await $0.enqueueMany([EnqueueRequest(function: "greet", arguments: PGJSON(rawJSON: deep))])
        },
        Rejected("run_at beyond PostgreSQL's range", nil, mentions: "out of range") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(runAt: Date(timeIntervalSince1970: 1e16)))
        },
        Rejected("run_at not a number (NaN seconds)", nil, mentions: "out of range") {
            try await $0.enqueue(Greet(name: "x"), options: JobOptions(runAt: Date(timeIntervalSince1970: .nan)))
        },
        Rejected("tags through enqueueMany, which cannot store them", nil, mentions: "cannot store tags") {
            try await $0.enqueueMany([EnqueueRequest(Greet(name: "x"), options: JobOptions(tags: ["vip"]))])
        },
        Rejected(
            "a 10 MB payload, over the default limit of 1 MiB (migration 8)", "22023",
            mentions: "args must be at most 1048576 bytes"
        ) {
            try await $0.enqueue(Greet(name: String(repeating: "x", count: 10_000_000)))
        },
        Rejected("args that cannot be encoded (NaN)", nil, mentions: "cannot encode") {
            try await $0.enqueue(function: "greet", arguments: ["value": Double.nan])
        },
    ]

    @Test(arguments: rejected)
    func refused(_ input: Rejected) async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let error = try await #require(throws: PGError.self) { try await input.enqueue(offload) }
            #expect(error.sqlState?.rawValue == input.sqlState, "\(error)")
            #expect("\(error)".contains(input.mentions), "\(error)")
            if input.sqlState == nil { #expect(error.code == .encoding, "\(error)") }
            #expect(try await count(pool, "true") == 0)
            #expect(try await pool.query("SELECT count(*) AS n FROM offload.events").single(Int.self, "n") == 0)
        }
    }

    /// Odd but valid input, stored exactly as given.
    struct Odd: Sendable, CustomStringConvertible {
        let description: String
        let function: String
        let arguments: String
        let options: JobOptions
        /// Enqueue through the Swift API (arguments decoded as a string dictionary) rather than SQL.
        var viaSwift = false
    }

    static let metacharacters = #"'; DROP TABLE offload.jobs; -- $1 \ " {a,b} NULL %s ${x} `id` /* */ E'\x00'"#

    static let odd: [Odd] = [
        Odd(
            description: "SQL metacharacters everywhere", function: metacharacters,
            arguments: try! PGJSON(["k\(metacharacters)": metacharacters]).text,
            options: JobOptions(
                queue: String(metacharacters.prefix(100)), uniqueKey: metacharacters,
                tags: [metacharacters, "{", "}", ",", "\"", "\\", "NULL", ""]),
            viaSwift: true),
        Odd(
            description: "SQL metacharacters everywhere, from SQL", function: metacharacters,
            arguments: try! PGJSON(["k\(metacharacters)": metacharacters]).text,
            options: JobOptions(
                queue: String(metacharacters.prefix(100)), uniqueKey: metacharacters,
                tags: [metacharacters, "{", "}", ",", "\"", "\\", "NULL", ""])),
        Odd(
            description: "run_at in the year 9999", function: "greet", arguments: #"{"name":"far"}"#,
            options: JobOptions(runAt: Date(timeIntervalSince1970: 253_402_300_799))),
        Odd(
            description: "run_at in 1970", function: "greet", arguments: #"{"name":"past"}"#,
            options: JobOptions(runAt: Date(timeIntervalSince1970: 0))),
        Odd(
            description: "priority and max_attempts at their limits", function: "greet", arguments: #"{"name":"edge"}"#,
            options: JobOptions(priority: -100, maxAttempts: 1000)),
        Odd(
            description: "a payload of just under 1 MiB (the default limit, migration 8)", function: "greet",
            arguments: try! PGJSON(Greet(name: String(repeating: "x", count: 1_040_000))).text, options: JobOptions()),
        Odd(
            description: "JSON nested 1,000 deep", function: "greet",
            arguments: #"{"name":"deep","a":"# + String(repeating: "[", count: 1_000)
                + String(repeating: "]", count: 1_000) + "}",
            options: JobOptions()),
        Odd(
            description: "emoji, RTL and combining marks", function: "grüße-🚀",
            arguments: #"{"name":"Zoë عربى 日本 e\u0301"}"#,
            options: JobOptions(queue: "ü")),
        Odd(
            description: "a 200-character function name", function: String(repeating: "é", count: 200), arguments: "{}",
            options: JobOptions()),
    ]

    @Test(arguments: odd)
    func storedExactly(_ input: Odd) async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id: Int64
            if input.viaSwift {
                let arguments = try PGJSON.decode([String: String].self, from: input.arguments)
                id = try await Offload(pool: pool).enqueue(
                    function: input.function, arguments: arguments, options: input.options)
            } else {
                // As any other language would: the SQL API with binds.
                let options = input.options
                id = try await pool.query(
                    """
                    SELECT offload.enqueue(
                        \(input.function),
                        \(PGJSON(rawJSON: input.arguments))::jsonb,
                        queue => \(options.queue)::text,
                        run_at => \(options.runAt)::timestamptz,
                        priority => \(options.priority)::int,
                        max_attempts => \(options.maxAttempts)::int,
                        unique_key => \(options.uniqueKey)::text,
                        tags => \(options.tags)::text[]
                    ) AS id
                    """
                ).single(Int64.self, "id")
            }
            let row = try await pool.query(
                """
                SELECT function, queue, args = \(PGJSON(rawJSON: input.arguments))::jsonb AS same_args, priority, max_attempts,
                       run_at, unique_key, tags, state
                FROM offload.jobs WHERE id = \(id)
                """
            ).rows.first
            let job = try #require(row)
            #expect(try job.decode(String.self, "function") == input.function)
            #expect(try job.decode(String.self, "queue") == input.options.queue ?? "default")
            #expect(try job.decode(Bool.self, "same_args"))
            #expect(try job.decode(Int.self, "priority") == input.options.priority)
            #expect(try job.decode(Int.self, "max_attempts") == input.options.maxAttempts ?? 25)
            #expect(try job.decode(String?.self, "unique_key") == input.options.uniqueKey)
            #expect(try job.decode([String].self, "tags") == input.options.tags)
            #expect(try job.decode(JobState.self, "state") == .available)
            if let runAt = input.options.runAt {
                // A run_at in the past means "now" (migration 11): it is stored as the enqueue's time.
                let stored = try job.decode(Date.self, "run_at")
                if runAt > Date() {
                    #expect(stored == runAt)
                } else {
                    #expect(stored > runAt.addingTimeInterval(86_400 * 365 * 50))
                }
            }
            #expect(try await count(pool, "true") == 1)
        }
    }
}
