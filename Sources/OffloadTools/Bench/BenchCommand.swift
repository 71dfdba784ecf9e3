import ArgumentParser
import Foundation
import OffloadLocalPostgres
import PGClient

/// `offload bench`: throughput, latency, enqueue cost and memory of Offload, measured next to the
/// ceiling of the same PostgreSQL in the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Offload next to what PostgreSQL itself can do (BENCHMARKS.md explains the figures).",
        discussion: """
            Creates a fresh database (dropped afterwards) on $DATABASE_URL or --database-url, or else on \
            a local cluster it starts in .offload/bench-postgres. Worker processes are this program's \
            hidden `fixture-worker`. Every scenario runs once per run; the table shows medians. \
            Scenarios: \(BenchScenario.allCases.map(\.rawValue).joined(separator: ", ")). \
            --soak DURATION runs the soak instead: a steady producer for that long, a line per interval.
            """
    )

    @Option(
        name: .customLong("database-url"),
        help: "PostgreSQL URL or conninfo. Defaults to $DATABASE_URL, else a local cluster.")
    var databaseURL: String?

    @Option(help: "Jobs per burn-down and per ceiling run. Defaults to 100,000 (2,000 with --quick).")
    var jobs: Int?

    @Option(help: "Concurrency of the burn-down and steady-state worker. Defaults to 2,000 (100 with --quick).")
    var concurrency: Int?

    @Option(help: "Most jobs per claim, for the worker and the ceiling alike. Defaults to 500 (100 with --quick).")
    var claimBatch: Int?

    @Option(help: "Runs of every scenario; the table shows medians. Defaults to 3 (1 with --quick).")
    var runs: Int?

    @Option(help: "Only these scenarios, comma-separated.")
    var only: String?

    @Flag(help: "A smoke run: every scenario, tiny and once. The figures mean nothing.")
    var quick = false

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("The local cluster's folder, when no database is given.", valueName: "path"))
    var localDir = ".offload/bench-postgres"

    @Option(help: "The local cluster's port, when no database is given.")
    var localPort = 54331

    @Option(help: .hidden) var workerBinary: String?

    @OptionGroup(title: "Soak") var soak: SoakOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if let claimBatch, claimBatch < 1 { throw ValidationError("--claim-batch must be at least 1") }
        _ = try scenarios()
        if soak.isSoak {
            // The soak is one long run of its own: scenario and run options would be silently ignored.
            let conflicting: [(String, Bool)] = [("--only", only != nil), ("--runs", runs != nil), ("--quick", quick)]
            if let (name, _) = conflicting.first(where: \.1) {
                throw ValidationError("--soak runs the soak alone; drop \(name)")
            }
        }
    }

    func run() async throws {
        var settings = quick ? BenchSettings.quick(jobs: jobs) : BenchSettings.full(jobs: jobs ?? 100_000)
        if let concurrency { settings.concurrency = concurrency }
        if let claimBatch { settings.claimBatch = claimBatch }
        let runs = self.runs ?? (quick ? 1 : 3)

        let (server, cluster) = try await serverConfiguration()
        let database = try await BenchDatabase.create(on: server)
        let logDirectory = NSTemporaryDirectory() + "offload-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let context = BenchContext(
            database: database, settings: settings, workerBinary: try workerExecutable(),
            logDirectory: logDirectory, pgbench: await Pgbench.find(), serverCPU: await ServerCPU.find(database.pool),
            progress: Self.printProgress
        )
        if let soakConfiguration = soak.configuration(
            capacityJobs: settings.jobs, concurrency: settings.concurrency, claimBatch: settings.claimBatch)
        {
            try await runSoak(soakConfiguration, context: context, cluster: cluster)
            return
        }
        do {
            var report = try await BenchRun(context: context, scenarios: try scenarios(), runs: runs).run()
            report.facts = [
                ("jobs", String(settings.jobs)),
                ("burndown_concurrency", String(settings.concurrency)),
                ("claim_batch", String(settings.claimBatch)),
                ("runs", String(runs)),
                ("quick", String(quick)),
                ("machine", BenchEnvironment.machine()),
                ("postgres", try await BenchEnvironment.postgresSettings(database.pool)),
                ("pgbench", context.pgbench?.executable ?? "not installed"),
            ]
            try await cleanUp(database, cluster, logDirectory)
            print(json ? try report.json() : report.table())
        } catch {
            Self.printProgress("failed; worker logs are in \(logDirectory)")
            try? await database.drop()
            if let cluster { _ = try? await cluster.stop() }
            throw error
        }
    }

    /// Runs the soak: in a table, a line per interval on standard output as each ends; with `--json`,
    /// the lines go to standard error and one JSON object to standard output at the end.
    private func runSoak(_ configuration: SoakConfiguration, context: BenchContext, cluster: LocalCluster?) async throws
    {
        let json = self.json
        let write: @Sendable (String) -> Void = json ? Self.printProgress : Self.printLine
        let soak = SoakBench(
            context: context, configuration: configuration,
            onStart: { report in
                write(report.headline)
                write(SoakReport.header)
            },
            onInterval: { write(SoakReport.line($0)) })
        do {
            var report = try await soak.run()
            report.facts = [
                ("concurrency", String(configuration.concurrency)),
                ("claim_batch", String(configuration.claimBatch)),
                ("machine", BenchEnvironment.machine()),
                ("postgres", try await BenchEnvironment.postgresSettings(context.database.pool)),
            ]
            try await cleanUp(context.database, cluster, context.logDirectory)
            if json { print(try report.json()) } else { Self.printLine(report.ending) }
        } catch {
            Self.printProgress("failed; worker logs are in \(context.logDirectory)")
            try? await context.database.drop()
            if let cluster { _ = try? await cluster.stop() }
            throw error
        }
    }

    private func scenarios() throws -> [BenchScenario] {
        guard let only else { return BenchScenario.allCases }
        let names = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let chosen = try names.map { name in
            guard let scenario = BenchScenario(rawValue: name) else {
                let known = BenchScenario.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("unknown scenario \"\(name)\"; known: \(known)")
            }
            return scenario
        }
        return BenchScenario.allCases.filter(chosen.contains)
    }

    /// The server to use, and the local cluster we started for it (to stop at the end), if any.
    private func serverConfiguration() async throws -> (ConnectionConfiguration, LocalCluster?) {
        if let databaseURL, !databaseURL.isEmpty { return (ConnectionConfiguration(databaseURL), nil) }
        if let configuration = ConnectionConfiguration.fromEnvironment() { return (configuration, nil) }
        let cluster = try await LocalCluster.resolve(directory: localDir, port: localPort).placed()
        Self.printProgress("no DATABASE_URL: starting a local PostgreSQL in \(cluster.directory)")
        let outcome = try await cluster.start()
        return (ConnectionConfiguration(outcome.url), outcome.wasRunning ? nil : cluster)
    }

    private func cleanUp(_ database: BenchDatabase, _ cluster: LocalCluster?, _ logDirectory: String) async throws {
        try await database.drop()
        if let cluster { try await cluster.stop() }
        try? FileManager.default.removeItem(atPath: logDirectory)
    }

    /// This program's own executable, whose `fixture-worker` is measured.
    private func workerExecutable() throws -> String {
        if let workerBinary { return workerBinary }
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        if let path = Bundle.main.executablePath { return path }
        throw ValidationError("cannot find this program's executable; pass --worker-binary")
    }

    /// Writes a line to standard output at once (print's buffer would hold a soak's lines back when
    /// the output is a pipe or a file).
    @Sendable private static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    @Sendable private static func printProgress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
