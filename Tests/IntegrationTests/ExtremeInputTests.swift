import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// Issue 13, findings 2, 3, 7, 8 and part of 9 (migration 8): extreme values through the SQL API, as
/// any language would send them. Each is refused with SQLSTATE 22023 and a message naming the
/// parameter, or stored and readable by every monitoring view and by `offload jobs list`/`show`.
@Suite("Extreme input through the SQL API")
struct ExtremeInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let sql: String
        /// The words the error must contain (the parameter's name and the rule); nil: accepted.
        let refusedMentioning: String?

        static func refused(_ description: String, _ sql: String, mentions: String) -> Case {
            Case(description: description, sql: sql, refusedMentioning: mentions)
        }

        static func accepted(_ description: String, _ sql: String) -> Case {
            Case(description: description, sql: sql, refusedMentioning: nil)
        }
    }

    static let runAtRule = "run_at must be from 1970-01-01 to 9999-12-31"

    static let cases: [Case] = [
        // run_at: finite, 1970-01-01 to 9999-12-31 UTC.
        .refused(
            "run_at -infinity", "SELECT offload.enqueue('f', '{}', run_at => '-infinity')",
            mentions: "\(runAtRule) (UTC), got -infinity"),
        .refused(
            "run_at infinity", "SELECT offload.enqueue('f', '{}', run_at => 'infinity')", mentions: "got infinity"),
        .refused(
            "run_at in year 1", "SELECT offload.enqueue('f', '{}', run_at => '0001-01-01T00:00:00Z')",
            mentions: runAtRule),
        .refused("run_at in 1700", "SELECT offload.enqueue('f', '{}', run_at => '1700-01-01')", mentions: runAtRule),
        .refused(
            "run_at in 4713 BC", "SELECT offload.enqueue('f', '{}', run_at => '4713-01-01 BC')", mentions: runAtRule),
        .refused(
            "run_at in 294276", "SELECT offload.enqueue('f', '{}', run_at => '294276-12-31')", mentions: runAtRule),
        .refused(
            "run_at a microsecond before 1970",
            "SELECT offload.enqueue('f', '{}', run_at => '1969-12-31 23:59:59.999999+00')", mentions: runAtRule),
        .refused(
            "run_at in 10000", "SELECT offload.enqueue('f', '{}', run_at => '10000-01-01 00:00:00+00')",
            mentions: runAtRule),
        .refused(
            "run_ats with infinity",
            "SELECT offload.enqueue_many('{f,f}', '{\"{}\",\"{}\"}', run_ats => '{2030-01-01,infinity}')",
            mentions: "offload.enqueue_many: element 2: \(runAtRule)"),
        .accepted(
            "run_at at 1970-01-01 00:00 UTC", "SELECT offload.enqueue('f', '{}', run_at => '1970-01-01 00:00:00+00')"),
        .accepted(
            "run_at at the last microsecond of 9999",
            "SELECT offload.enqueue('f', '{}', run_at => '9999-12-31 23:59:59.999999+00')"),
        .accepted(
            "run_ats at both ends",
            "SELECT offload.enqueue_many('{f,f}', '{\"{}\",\"{}\"}', run_ats => '{1970-01-01 00:00:00+00,9999-12-31 23:59:59+00}')"
        ),

        // Numbers.
        .refused(
            "priority int max", "SELECT offload.enqueue('f', '{}', priority => 2147483647)",
            mentions: "priority must be between -100 and 100"),
        .refused(
            "max_attempts int min", "SELECT offload.enqueue('f', '{}', max_attempts => -2147483648)",
            mentions: "max_attempts must be between 1 and 1000"),
        .accepted(
            "args with numbers beyond double",
            #"SELECT offload.enqueue('f', '{"big": 1e400, "tiny": -1e-400, "long": 123456789012345678901234567890}')"#),

        // Tags: one-dimensional, no NULL.
        .refused(
            "tags two-dimensional", "SELECT offload.enqueue('f', '{}', tags => '{{a,b},{c,d}}')",
            mentions: "tags must be a one-dimensional array, got 2 dimensions"),
        .refused(
            "tags with NULL", "SELECT offload.enqueue('f', '{}', tags => ARRAY['a', NULL])",
            mentions: "tags must not contain NULL"),
        .accepted("tags NULL", "SELECT offload.enqueue('f', '{}', tags => NULL)"),
        .accepted("tags with a lower bound of 5", "SELECT offload.enqueue('f', '{}', tags => '[5:6]={a,b}')"),

        // Names: no control characters.
        .refused(
            "function with an escape sequence", #"SELECT offload.enqueue(E'evil\x1b]0;owned\x07', '{}')"#,
            mentions: #"function must not contain control characters, got "evil\u001b]0;owned\u0007""#),
        .refused(
            "function with a newline", #"SELECT offload.enqueue(E'a\nb', '{}')"#,
            mentions: "function must not contain control characters"),
        .refused(
            "function with a C1 control (CSI)", #"SELECT offload.enqueue(E'a\u009bb', '{}')"#,
            mentions: "function must not contain control characters"),
        .refused(
            "function with DEL", #"SELECT offload.enqueue(E'a\x7fb', '{}')"#,
            mentions: "function must not contain control characters"),
        .refused(
            "queue with a carriage return", #"SELECT offload.enqueue('f', '{}', queue => E'q\r')"#,
            mentions: "queue must not contain control characters"),
        .refused(
            "enqueue_many function with a tab", #"SELECT offload.enqueue_many(ARRAY['ok', E'a\tb'], '{"{}","{}"}')"#,
            mentions: "offload.enqueue_many: element 2: function must not contain control characters"),
        .refused(
            "enqueue_many queue with an escape",
            #"SELECT offload.enqueue_many('{f}', '{"{}"}', queues => ARRAY[E'\x1b[2J'])"#,
            mentions: "element 1: queue must not contain control characters"),
        .refused(
            "event name with a newline", #"SELECT offload.send(E'user.created\nFAKE LOG LINE', '{}')"#,
            mentions: "name must not contain control characters"),
        .refused(
            "retry to_queue with a bell", #"SELECT offload.retry(1, to_queue => E'q\x07')"#,
            mentions: "to_queue must not contain control characters"),
        .accepted(
            "names with emoji, RTL and combining marks",
            "SELECT offload.enqueue('grüße-🚀', '{}', queue => 'עברית e\u{301}')"),

        // Keys: at most 1000 bytes (a btree entry cannot exceed ~2.7 KB).
        .refused(
            "unique_key of 3000 bytes", "SELECT offload.enqueue('f', '{}', unique_key => repeat('k', 3000))",
            mentions: "unique_key must be at most 1000 bytes, got 3000"),
        .refused(
            "unique_key of 501 two-byte characters",
            "SELECT offload.enqueue('f', '{}', unique_key => repeat('é', 501))",
            mentions: "unique_key must be at most 1000 bytes, got 1002"),
        .refused(
            "enqueue_many unique key of 3000 bytes",
            "SELECT offload.enqueue_many('{f,f}', '{\"{}\",\"{}\"}', unique_keys => ARRAY['a', repeat('k', 3000)])",
            mentions: "element 2: unique_key must be at most 1000 bytes"),
        .refused(
            "idempotency_key of 3000 bytes", "SELECT offload.send('e', '{}', idempotency_key => repeat('k', 3000))",
            mentions: "idempotency_key must be at most 1000 bytes, got 3000"),
        .accepted("unique_key of 1000 bytes", "SELECT offload.enqueue('f', '{}', unique_key => repeat('k', 1000))"),
        .accepted(
            "idempotency_key of 1000 bytes", "SELECT offload.send('e', '{}', idempotency_key => repeat('k', 1000))"),

        // Arguments: at most offload.settings.max_args_bytes (1 MiB by default).
        .refused(
            "args of 2 MB", "SELECT offload.enqueue('f', jsonb_build_object('a', repeat('x', 2000000)))",
            mentions: "args must be at most 1048576 bytes"),
        .refused(
            "event data of 2 MB", "SELECT offload.send('e', jsonb_build_object('a', repeat('x', 2000000)))",
            mentions: "data must be at most 1048576 bytes"),
        .refused(
            "enqueue_many args of 2 MB",
            "SELECT offload.enqueue_many('{f,f}', ARRAY['{}', jsonb_build_object('a', repeat('x', 2000000))])",
            mentions: "element 2: args must be at most 1048576 bytes"),
        .refused(
            "50 MB of args that compress to a few hundred KB, from a table",
            "WITH big AS MATERIALIZED (SELECT jsonb_build_object('a', repeat('x', 50000000)) AS j) SELECT offload.enqueue('f', j) FROM big",
            mentions: "args must be at most 1048576 bytes, got 50000017"),
        .accepted(
            "args of just under 1 MiB", "SELECT offload.enqueue('f', jsonb_build_object('a', repeat('x', 1048000)))"),
    ]

    @Test(arguments: cases)
    func refusedWithTheParameterNamedOrReadableEverywhere(_ input: Case) async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            if input.description.hasPrefix("retry") {
                let id = try await pool.query("SELECT offload.enqueue('f', '{}') AS id").single(Int64.self, "id")
                #expect(id == 1)
                _ = try await pool.query("SELECT offload.cancel(1)")
            }
            let before = try await count(pool, "true")
            if let mentions = input.refusedMentioning {
                let error = try await #require(throws: PGError.self) {
                    try await pool.query(Query(unsafeSQL: input.sql))
                }
                #expect(error.sqlState?.rawValue == "22023", "\(error)")
                #expect(error.message.contains(mentions), "\(error.message)")
                #expect(try await count(pool, "true") == before)
                #expect(try await pool.query("SELECT count(*) AS n FROM offload.events").single(Int.self, "n") == 0)
            } else {
                _ = try await pool.query(Query(unsafeSQL: input.sql))
                #expect(try await count(pool, "true") > before || input.sql.contains("offload.send"))
                try await readEverything(offload)
            }
        }
    }

    /// Rows stored before migration 8, or written by the owner directly, with infinite and extreme
    /// timestamps everywhere: every view still answers, and so does everything `offload status`,
    /// `offload jobs list` and `offload jobs show` read.
    @Test func viewsTolerateOddStoredTimestamps() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.execute(
                """
                INSERT INTO offload.jobs (function, state, run_at, created_at, attempted_at, finished_at, lease_until, worker_id)
                VALUES ('odd', 'available', '-infinity', '-infinity', NULL, NULL, NULL, NULL),
                       ('odd', 'available', 'infinity', 'infinity', NULL, NULL, NULL, NULL),
                       ('odd', 'retryable', '4713-01-01 BC', '4713-01-01 BC', '-infinity', NULL, NULL, NULL),
                       ('odd', 'running', '294276-12-31', now(), 'infinity', NULL, 'infinity', 'w-odd'),
                       ('odd', 'dead', '-infinity', now(), now(), 'infinity', NULL, NULL),
                       ('odd', 'completed', now(), now(), now(), '-infinity', NULL, NULL),
                       ('odd', 'dead', now(), now(), now(), now(), NULL, NULL)
                """)
            try await pool.execute(
                """
                INSERT INTO offload.workers (id, started_at, heartbeat_at)
                VALUES ('w-future', '-infinity', 'infinity'), ('w-odd', now(), now())
                """)
            let stats = try await pool.query(
                "SELECT available, scheduled, retryable, running, dead, oldest_run_at, lag FROM offload.queue_stats"
            ).rows
            #expect(stats.count == 1)
            let row = try #require(stats.first)
            #expect(try row.decode(Int.self, "available") == 2)
            #expect(try row.decode(Int.self, "scheduled") == 1)
            #expect(try row.decode(Int.self, "running") == 1)
            #expect(try row.decode(Int.self, "dead") == 2)
            #expect(try row.decode(Date.self, "oldest_run_at") == .distantPast)

            let offload = Offload(pool: pool)
            let status = try await offload.status()
            let lag = try #require(status.queues.first?.lagSeconds)
            // From 1970-01-01: the earliest run_at the API accepts.
            #expect(lag.isFinite && abs(lag - Date().timeIntervalSince1970) < 86_400, "\(lag)")
            let workers = try await offload.liveWorkers()
            #expect(Set(workers.map(\.id)) == ["w-future", "w-odd"])
            try await readEverything(offload)
        }
    }

    /// The owner raises or lowers the arguments limit with SQL; the table holds one row.
    @Test func theArgumentsLimitIsASetting() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let big = "SELECT offload.enqueue('f', jsonb_build_object('a', repeat('x', 2000000)))"
            try await pool.execute("UPDATE offload.settings SET max_args_bytes = 4194304")
            _ = try await pool.query(Query(unsafeSQL: big))
            try await pool.execute("UPDATE offload.settings SET max_args_bytes = 4096")
            let refused = try await #require(throws: PGError.self) {
                try await pool.query("SELECT offload.send('e', jsonb_build_object('a', repeat('x', 5000)))")
            }
            #expect(refused.message.contains("data must be at most 4096 bytes"))
            let tooSmall = try await #require(throws: PGError.self) {
                try await pool.execute("UPDATE offload.settings SET max_args_bytes = 10")
            }
            #expect(tooSmall.sqlState?.rawValue == "23514")
            let second = try await #require(throws: PGError.self) {
                try await pool.execute("INSERT INTO offload.settings (singleton) VALUES (false)")
            }
            #expect(second.sqlState?.rawValue == "23514")
            // Without the row, the default applies.
            try await pool.execute("DELETE FROM offload.settings")
            let refusedByDefault = try await #require(throws: PGError.self) {
                try await pool.query(Query(unsafeSQL: big))
            }
            #expect(refusedByDefault.message.contains("args must be at most 1048576 bytes"))
        }
    }

    /// Everything the monitoring surface and the job commands read.
    private func readEverything(_ offload: Offload) async throws {
        _ = try await offload.status()
        _ = try await offload.queueStats()
        _ = try await offload.liveWorkers()
        _ = try await offload.throughput()
        _ = try await offload.pool.query("SELECT * FROM offload.failures")
        for job in try await offload.listJobs() {
            #expect(try await offload.job(id: job.id) != nil)
        }
    }
}
