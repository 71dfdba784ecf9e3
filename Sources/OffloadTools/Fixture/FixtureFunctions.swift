import Foundation
import Offload
import PGClient

/// The functions of `offload fixture-worker`: a worker with known behaviour for benchmarks, the chaos
/// run and process-level tests.
enum FixtureFunctions {
    /// Arguments understood by the `record` function.
    struct RecordArguments: Codable, Sendable {
        /// Fail the first attempt (then succeed).
        var failFirst: Bool?
        /// Fail every attempt.
        var alwaysFail: Bool?
        /// Work for this long before finishing.
        var sleepMs: Int?
        /// Work for this long on the first attempt only (added to `sleepMs`): a job a test kills
        /// mid-run without racing it, then sees rerun quickly.
        var firstAttemptSleepMs: Int?
    }

    /// Accepts any JSON object, reading nothing from it.
    struct AnyArguments: Codable, Sendable {}

    struct FixtureFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Creates the table `record` writes to (one row per invocation).
    static let createInvocations: Query = """
        CREATE TABLE IF NOT EXISTS offload_fixture_invocations (
            job_id bigint NOT NULL,
            attempt integer NOT NULL,
            pid integer NOT NULL,
            at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// Creates the table `stamp` writes to (one row per invocation).
    static let createStamps: Query = """
        CREATE TABLE IF NOT EXISTS offload_fixture_stamps (
            job_id bigint NOT NULL,
            started_us bigint NOT NULL
        )
        """

    /// Creates both tables, under a transaction-level advisory lock: `CREATE TABLE IF NOT EXISTS` is
    /// not safe against itself, and workers started together collided on `pg_type` (23505; the chaos
    /// run restarted them).
    static func createTables(on pool: ConnectionPool) async throws {
        try await pool.transaction { connection -> Void in
            try await connection.execute("SELECT pg_advisory_xact_lock(\(tablesLockKey))")
            try await connection.execute(createInvocations)
            try await connection.execute(createStamps)
        }
    }

    /// The advisory-lock key that serialises `createTables` ("offload fixture tables").
    static let tablesLockKey: Int64 = 0x6f66_666c_6f61_6403

    static func all() -> [Function] {
        [
            // Does nothing: measures the queue itself.
            Function(id: "noop") { (_: AnyArguments, _: JobContext) in },
            // Records the wall clock as the handler starts (microseconds since 1970), for the latency
            // benchmark, which compares it with the moment the enqueueing transaction committed.
            Function(id: "stamp") { (_: AnyArguments, context: JobContext) in
                let startedMicroseconds = WallClock.microseconds()
                try await context.pool.execute(
                    """
                    INSERT INTO offload_fixture_stamps (job_id, started_us)
                    VALUES (\(context.jobID), \(startedMicroseconds))
                    """)
            },
            // Records each invocation, then behaves as its arguments say.
            Function(id: "record") { (arguments: RecordArguments, context: JobContext) in
                try await context.pool.execute(
                    """
                    INSERT INTO offload_fixture_invocations (job_id, attempt, pid)
                    VALUES (\(context.jobID), \(context.attempt), \(Int(getpid())))
                    """)
                if let sleepMs = arguments.sleepMs, sleepMs > 0 { try await Task.sleep(for: .milliseconds(sleepMs)) }
                if let sleepMs = arguments.firstAttemptSleepMs, sleepMs > 0, context.attempt == 1 {
                    try await Task.sleep(for: .milliseconds(sleepMs))
                }
                if arguments.alwaysFail == true { throw FixtureFailure(description: "always fails (fixture)") }
                if arguments.failFirst == true, context.attempt == 1 {
                    throw FixtureFailure(description: "fails on the first attempt (fixture)")
                }
            },
        ]
    }
}
