import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// Bad input that reaches a worker, or bad handlers. Each case ends in the expected state with a
/// recorded error a person understands; the worker keeps running, and an ordinary job enqueued next to
/// the bad one still completes.
@Suite("Bad input: the worker")
struct BadInputWorkerTests {
    struct Case: Sendable, CustomStringConvertible {
        let description: String
        /// The function the bad job is enqueued for, and its raw JSON arguments.
        let function: String
        let arguments: String
        let expectedState: JobState
        /// Words the job's last error must contain (nil: no error expected).
        let mentions: String?
        /// Checked on the finished job.
        var check: @Sendable (JobRow) -> Bool = { _ in true }
    }

    struct Arguments: Codable, Sendable {
        var count: Int
    }

    struct Loose: Codable, Sendable {}

    struct UnstorableResult: Codable, Sendable {
        var text: String
    }

    struct MessageError: Error, CustomStringConvertible {
        let description: String
    }

    static let functions: [Function] = [
        Function(id: "typed") { (_: Arguments, _: JobContext) in },
        Function(id: "loose") { (_: Loose, _: JobContext) in },
        Function(id: "throws") { (_: Loose, _: JobContext) in throw MessageError(description: "the card was declined")
        },
        Function(id: "throws-nul") { (_: Loose, _: JobContext) in throw MessageError(description: "bad\u{0}byte") },
        Function(id: "hangs", options: FunctionOptions(timeout: .milliseconds(300))) { (_: Loose, _: JobContext) in
            // The thing under test: a handler that would not return for an hour, but for the timeout.
            try await Task.sleep(for: .seconds(3600))
        },
        Function(id: "ignores-cancellation", options: FunctionOptions(timeout: .milliseconds(300))) {
            (_: Loose, _: JobContext) in
            // Never resumed: a handler stuck in code that does not honour cancellation.
            await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
        },
        Function(id: "nan-result") { (_: Loose, _: JobContext) -> [String: Double]? in ["value": .nan] },
        Function(id: "nul-result") { (_: Loose, _: JobContext) -> UnstorableResult? in UnstorableResult(text: "a\u{0}b")
        },
        Function(id: "big-result") { (_: Loose, _: JobContext) -> UnstorableResult? in
            UnstorableResult(text: String(repeating: "r", count: 10_000_000))
        },
        Function(id: BadInputTests.metacharacters) { (_: Loose, _: JobContext) in },
        Function(id: "ordinary") { (_: Loose, _: JobContext) in },
    ]

    static let cases: [Case] = [
        Case(
            description: "an unknown function", function: "nobody-home", arguments: "{}", expectedState: .dead,
            mentions: #"no function "nobody-home" is registered"#),
        Case(
            description: "args missing a key", function: "typed", arguments: "{}", expectedState: .dead,
            mentions: #"missing key "count""#),
        Case(
            description: "args of the wrong type", function: "typed", arguments: #"{"count": "seven"}"#,
            expectedState: .dead,
            mentions: "expected Int"),
        Case(
            description: "args with a number too large for Int (valid JSON, not \"not valid JSON\")", function: "typed",
            arguments: #"{"count": 99999999999999999999}"#, expectedState: .dead,
            mentions: "the JSON is valid but does not match the type"),
        Case(
            description: "args nested 10,000 deep", function: "loose",
            arguments: #"{"a":"# + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}",
            expectedState: .dead, mentions: "cannot decode"),
        // Just under the SQL API's default limit of 1 MiB (migration 8).
        Case(
            description: "a 1 MB payload", function: "loose",
            arguments: #"{"blob":""# + String(repeating: "b", count: 1_040_000) + #""}"#, expectedState: .completed,
            mentions: nil,
            check: { $0.argumentsJSON.utf8.count > 1_040_000 }),
        Case(
            description: "a handler that throws", function: "throws", arguments: "{}", expectedState: .dead,
            mentions: "the card was declined"),
        Case(
            description: "an error message with a NUL character", function: "throws-nul", arguments: "{}",
            expectedState: .dead,
            mentions: "bad\\0byte"),
        Case(
            description: "a handler that hangs", function: "hangs", arguments: "{}", expectedState: .dead,
            mentions: "timed out after 0.3 seconds"),
        Case(
            description: "a handler that hangs and ignores cancellation", function: "ignores-cancellation",
            arguments: "{}",
            expectedState: .dead, mentions: "did not stop when cancelled"),
        Case(
            description: "a result that is not valid JSON (NaN)", function: "nan-result", arguments: "{}",
            expectedState: .dead,
            mentions: "cannot encode"),
        Case(
            description: "a result jsonb cannot hold (NUL)", function: "nul-result", arguments: "{}",
            expectedState: .dead,
            mentions: "PostgreSQL could not store the result"),
        Case(
            description: "a 10 MB result", function: "big-result", arguments: "{}", expectedState: .completed,
            mentions: nil,
            check: { ($0.resultJSON?.utf8.count ?? 0) > 10_000_000 }),
        Case(
            description: "SQL metacharacters in the function id", function: BadInputTests.metacharacters,
            arguments: "{}",
            expectedState: .completed, mentions: nil),
    ]

    @Test(arguments: cases)
    func endsAsExpected(_ input: Case) async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let offload = Offload(pool: pool)
            let bad = try await pool.query(
                """
                SELECT offload.enqueue(\(input.function), \(PGJSON(rawJSON: input.arguments))::jsonb, max_attempts => 1) AS id
                """
            ).single(Int64.self, "id")
            let ordinary = try await offload.enqueue(function: "ordinary", arguments: ["n": 1])
            let events = WorkerEvents()
            let worker = testWorker(pool: pool, functions: Self.functions, leaseDuration: .seconds(30), events: events)
            try await whileRunning(worker) { () async throws in
                #expect(try await events.finished(bad) == input.expectedState)
                #expect(try await events.finished(ordinary) == .completed)
            }
            let job = try #require(try await JobRow.find(bad, in: pool))
            #expect(job.state == input.expectedState)
            if let mentions = input.mentions {
                let message = job.errors.last?.message ?? "(no error)"
                #expect(message.contains(mentions), "\(message.prefix(500))")
            } else {
                #expect(job.errors.isEmpty, "\(job.errors.map(\.message))")
            }
            #expect(input.check(job))
            #expect(try await JobRow.find(ordinary, in: pool)?.state == .completed)
            #expect(try await count(pool, "state = 'running'") == 0)
        }
    }
}
