import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

@testable import OffloadTools

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The built `offload` executable: `$OFFLOAD_BIN` (the Makefile sets it), else the one next to this
/// test bundle in the scratch path.
enum OffloadBinary {
    static let path: String = {
        if let path = ProcessInfo.processInfo.environment["OFFLOAD_BIN"], !path.isEmpty {
            return URL(fileURLWithPath: path).standardizedFileURL.path
        }
        let bundle = ChaosCommand.ownExecutable()
        var directory = URL(fileURLWithPath: bundle).deletingLastPathComponent()
        // On macOS the runner lives inside …/offloadPackageTests.xctest/Contents/MacOS.
        while !directory.path.isEmpty, directory.path != "/" {
            let candidate = directory.appendingPathComponent("offload").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return bundle
    }()
}

/// A folder for the logs of one test's worker processes, kept after the run for reading.
func logDirectory(_ test: String) -> String {
    let base = ProcessInfo.processInfo.environment["OFFLOAD_TEST_DIR"].map { $0 + "-logs" } ?? ".offload/test-logs"
    let path = URL(fileURLWithPath: base).standardizedFileURL.appendingPathComponent(
        "\(test)-\(UUID().uuidString.prefix(8))"
    ).path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// One `offload fixture-worker` process against `configuration`'s database.
struct FixtureWorker {
    let child: ChildProcess

    /// Starts a worker with short intervals (so rescue and maintenance happen within a test) plus
    /// `extra` arguments, which win. The lease is generous all the same: these tests run beside the
    /// rest of the suite on two cores, and a worker starved of processor time for a lease counts as
    /// dead (a 2 s lease once lost a live worker 19 jobs there).
    static func start(
        _ configuration: ConnectionConfiguration, logDirectory: String, name: String = "worker", _ extra: [String] = []
    ) throws -> FixtureWorker {
        let arguments =
            [
                "fixture-worker",
                "--lease-ms", "8000", "--heartbeat-ms", "400", "--maintenance-ms", "200", "--poll-ms", "100",
                "--shutdown-deadline-ms", "10000", "--max-connections", "8",
                "--exit-with-parent", "\(getpid())",
            ] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = configuration.connectionString()
        let child = try ChildProcess.spawn(
            OffloadBinary.path, arguments, environment: environment, logFile: "\(logDirectory)/\(name).log"
        )
        return FixtureWorker(child: child)
    }

    var pid: Int32 { child.pid }

    /// The worker's output so far.
    var output: String { (try? String(contentsOfFile: child.logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for the exit (SIGKILL after 60 s, which the test then reports).
    func terminate() async -> ChildExitStatus {
        await child.terminate(timeout: .seconds(60))
    }

    func kill() async -> ChildExitStatus {
        child.killNow()
        return await child.waitForExit()
    }
}

/// A database with the fixture's invocation table, a pool on it, and `record` jobs enqueued.
struct FixtureDatabase {
    let configuration: ConnectionConfiguration
    let pool: ConnectionPool

    static func with<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (FixtureDatabase) async throws -> T
    ) async throws -> T {
        try await OffloadTestDatabase.withConfiguration { configuration in
            let pool = ConnectionPool(configuration, maxConnections: 4)
            defer { pool.close() }
            try await pool.execute(FixtureFunctions.createInvocations)
            return try await body(FixtureDatabase(configuration: configuration, pool: pool))
        }
    }

    /// Enqueues `count` `record` jobs with `arguments`; returns their ids.
    @discardableResult
    func enqueueRecord(_ count: Int, _ arguments: FixtureFunctions.RecordArguments = .init(), priority: Int = 0)
        async throws -> [Int64]
    {
        let requests = try (0..<count).map { _ in
            EnqueueRequest(
                function: "record", arguments: try PGJSON(arguments), options: JobOptions(priority: priority))
        }
        let before = try await pool.query("SELECT coalesce(max(id), 0) AS id FROM offload.jobs").single(
            Int64.self, "id")
        try await Offload(pool: pool).enqueueMany(requests, on: pool)
        return try await pool.query("SELECT id FROM offload.jobs WHERE id > \(before) ORDER BY id").rows.map {
            try $0.decode(Int64.self, "id")
        }
    }

    func count(_ condition: String) async throws -> Int {
        try await pool.query(Query(unsafeSQL: "SELECT count(*) AS n FROM offload.jobs WHERE \(condition)")).single(
            Int.self, "n")
    }

    /// Every invocation, oldest first.
    func invocations() async throws -> [(jobID: Int64, attempt: Int, pid: Int32)] {
        try await pool.query("SELECT job_id, attempt, pid FROM offload_fixture_invocations ORDER BY at, job_id").rows
            .map {
                (
                    try $0.decode(Int64.self, "job_id"), try $0.decode(Int.self, "attempt"),
                    Int32(try $0.decode(Int.self, "pid"))
                )
            }
    }

    /// Rows in `offload.workers`.
    func workerRows() async throws -> Int {
        try await pool.query("SELECT count(*) AS n FROM offload.workers").single(Int.self, "n")
    }
}

/// Waits until process `pid` has taken `signal`: it is no longer pending (the `ShdPnd:` and `SigPnd:`
/// masks of /proc/PID/status), so its handler has run or is running. Returns false if it is still
/// pending after `timeout`. Where there is no /proc (macOS), there is no way to see another process's
/// pending signals: it waits a fixed 200 ms there and returns true.
func waitUntilTaken(_ signal: Int32, by pid: pid_t, timeout: Duration = .seconds(60)) async throws -> Bool {
    guard FileManager.default.fileExists(atPath: "/proc/self/status") else {
        try await Task.sleep(for: .milliseconds(200))
        return true
    }
    return try await eventually(timeout: timeout) { !isPending(signal, in: pid) }
}

/// Whether `signal` is pending for `pid`, process-wide or for one of its threads; false once it is gone.
private func isPending(_ signal: Int32, in pid: pid_t) -> Bool {
    let bit = UInt64(1) << UInt64(signal - 1)
    var pending = false
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    for status in ["/proc/\(pid)/status"] + tasks.map({ "/proc/\(pid)/task/\($0)/status" }) {
        guard let text = try? String(contentsOfFile: status, encoding: .utf8) else { continue }
        for line in text.split(separator: "\n") where line.hasPrefix("ShdPnd:") || line.hasPrefix("SigPnd:") {
            let mask = UInt64(line.drop { $0 != ":" }.dropFirst().trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
            if mask & bit != 0 { pending = true }
        }
    }
    return pending
}
