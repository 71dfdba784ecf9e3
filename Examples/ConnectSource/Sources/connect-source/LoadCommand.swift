import ArgumentParser
import ConnectSourceApp
import Foundation
import Logging
import PGClient

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `connect-source load`: sends requests to the API at a steady rate, then waits for the background
/// work they caused and checks that all of it happened.
///
/// Prints the API's response times next to the time the background work took, and exits 1 when a
/// request failed or a source does not have every one of its jobs completed (lost, dead or unfinished).
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Send requests at a steady rate; report latency, wait for the background work, verify it.",
        discussion: """
            Requests go out on a fixed schedule (open loop): a slow answer never delays the next \
            request, so the latencies are what a client would see at that rate. Times are measured \
            from sending a request to its whole answer. Background times come from the jobs' own \
            timestamps in the database.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The API's base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "How many requests to send.") var requests = 300
    @Option(help: "Requests per second.") var rate = 50.0
    @Option(help: "Seconds to wait for the API to answer GET /health before starting.") var readyTimeout = 60
    @Option(help: "Seconds to wait for the background work to finish.") var timeout = 120
    @Option(help: "Before sending, wait until this many workers are alive (offload.live_workers).")
    var workers = 0

    func validate() throws {
        guard requests > 0 else { throw ValidationError("--requests must be at least 1") }
        guard rate > 0 else { throw ValidationError("--rate must be more than 0") }
        guard URL(string: url)?.host != nil else { throw ValidationError("--url must be like http://127.0.0.1:8080") }
    }

    func run() async throws {
        let connection = try database.configuration(applicationName: "connect-source load")
        var logger = Logger(label: "connect-source.load")
        logger.logLevel = .warning
        let pool = ConnectionPool(connection, maxConnections: 2, logger: logger)
        defer { pool.close() }
        let client = HTTPLoadClient(baseURL: URL(string: url)!)
        try await client.waitUntilReady(timeout: .seconds(readyTimeout))
        try await Self.waitForWorkers(workers, in: pool, timeout: .seconds(readyTimeout))

        let functions = try await pool.query(
            "SELECT id FROM offload.functions WHERE \(SourceConnected.name) = ANY (events) ORDER BY id"
        ).rows.map { try $0.decode(String.self, "id") }

        say("Sending \(requests) requests to POST \(url)/api/connectSource at \(Self.format(rate)) per second…")
        let startedAt = try await Self.databaseClock(pool)
        let results = await client.send(count: requests, rate: rate)
        let answeredAt = try await Self.databaseClock(pool)
        let created = results.compactMap(\.sourceID)
        let failed = results.filter { $0.sourceID == nil }

        say("Waiting for the background work of \(created.count) sources (\(functions.joined(separator: ", ")))…")
        let deadline = ContinuousClock.now + .seconds(timeout)
        var jobs = try await BackgroundJob.load(sources: created, from: pool)
        var lastReport = ContinuousClock.now
        while jobs.contains(where: \.isUnfinished), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            jobs = try await BackgroundJob.load(sources: created, from: pool)
            if ContinuousClock.now - lastReport >= .seconds(2) {
                lastReport = .now
                let finished = jobs.filter { !$0.isUnfinished }.count
                say("  \(finished) of \(jobs.count) jobs finished")
            }
        }

        let report = LoadReport(
            requests: requests, rate: rate, results: results, jobs: jobs, functions: functions,
            startedAt: startedAt, answeredAt: answeredAt
        )
        say(report.render())
        if !report.problems.isEmpty || !failed.isEmpty { throw ExitCode(1) }
    }

    /// Waits until `count` workers heart-beat, so that their start-up is not part of the measurement.
    static func waitForWorkers(_ count: Int, in pool: ConnectionPool, timeout: Duration) async throws {
        guard count > 0 else { return }
        let deadline = ContinuousClock.now + timeout
        while try await pool.query("SELECT count(*) AS n FROM offload.live_workers").single(Int.self, "n") < count {
            guard ContinuousClock.now < deadline else {
                throw LoadError("fewer than \(count) workers were alive after \(timeout) (see offload.live_workers)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The database's clock, in seconds since 1970: background times compare with the jobs'
    /// timestamps, so they are measured on the same clock.
    static func databaseClock(_ pool: ConnectionPool) async throws -> Double {
        try await pool.query("SELECT extract(epoch FROM clock_timestamp())::float8 AS now").single(Double.self, "now")
    }

    /// Prints and flushes at once: under a script, standard output is a pipe or a file, and the
    /// progress lines should show while the run goes on, not when it ends.
    func say(_ text: String) {
        print(text)
        fflush(nil)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
