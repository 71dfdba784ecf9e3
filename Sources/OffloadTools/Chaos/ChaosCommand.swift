import ArgumentParser
import Foundation
import Logging
import OffloadLocalPostgres
import PGClient

/// `offload chaos`: kill workers, restart PostgreSQL and cut connections while jobs run, then prove
/// that nothing was lost and only killed workers' jobs ran twice. Hidden; `make chaos` runs it.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Run jobs through worker processes while injecting faults; check nothing is lost.",
        discussion: """
            Creates a fresh database on the server, starts worker processes (offload fixture-worker), \
            enqueues jobs while every --kill-every a random worker is SIGKILLed and replaced, \
            PostgreSQL is restarted once (only with a local cluster: --local-dir) and every worker \
            connection is terminated once; then SIGTERMs every worker, lets fresh ones finish what is \
            left, and checks the database. Exits 1 when a check fails.

            Without --database-url or DATABASE_URL, it runs on a local cluster in --local-dir \
            (default .offload/chaos-postgres, port 54331), started and afterwards stopped by the run.
            """,
        shouldDisplay: false
    )

    // Not DatabaseOptions: that one requires a database, and without one this command starts its own.
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL or conninfo. Defaults to $DATABASE_URL, else a local cluster.", valueName: "url"))
    var databaseURL: String?

    @Option(help: "Jobs to enqueue.") var jobs = 20_000
    @Option(help: "Worker processes.") var workers = 4
    @Option(help: "Seconds of fault injection.") var duration = 30.0
    @Option(help: "Seconds between worker kills (0: never).") var killEvery = 2.0
    @Flag(help: "Do not restart PostgreSQL.") var noRestart = false
    @Flag(help: "Do not terminate worker connections.") var noTerminate = false
    @Option(help: "Jobs running at once per worker.") var concurrency = 32
    @Option(help: "Job lease in milliseconds.") var leaseMs = 5_000
    @Option(help: "Seed for the job mix and the choice of victims.") var seed: UInt64 = 1
    @Option(help: "A local cluster (offload local) to run on and restart.") var localDir: String?
    @Option(help: "Its port.") var localPort = 54331
    @Option(help: "Where worker logs go.") var logDir = ".offload/chaos/logs"
    @Flag(help: "Keep the run's database afterwards.") var keepDatabase = false

    func validate() throws {
        guard jobs > 0, workers > 0, concurrency > 0 else {
            throw ValidationError("--jobs, --workers and --concurrency must be positive")
        }
        guard duration > 0, killEvery >= 0, leaseMs > 0 else {
            throw ValidationError("--duration and --lease-ms must be positive, --kill-every not negative")
        }
        // Bounded before `Int(duration * 1000)` could trap on 1e300 or infinity.
        guard duration <= 86_400, killEvery <= 86_400 else {
            throw ValidationError("--duration and --kill-every must be at most 86400 seconds")
        }
    }

    func run() async throws {
        var cluster: LocalCluster?
        var server: ConnectionConfiguration
        var startedCluster = false
        let given =
            databaseURL.flatMap { $0.isEmpty ? nil : ConnectionConfiguration($0) }
            ?? ConnectionConfiguration.fromEnvironment()
        let explicitURL = given != nil
        if let localDir {
            cluster = try await LocalCluster.resolve(directory: localDir, port: localPort).placed()
        } else if !explicitURL {
            cluster = try await LocalCluster.resolve(directory: ".offload/chaos-postgres", port: localPort).placed()
        }
        if let cluster, !(explicitURL && localDir == nil) {
            let outcome = try await cluster.start()
            startedCluster = !outcome.wasRunning
            server = ConnectionConfiguration(outcome.url)
        } else if let given {
            server = given
        } else {
            throw ValidationError("no database: pass --database-url, set DATABASE_URL or --local-dir")
        }

        var configuration = ChaosConfiguration(
            workerExecutable: Self.ownExecutable(), logDirectory: URL(fileURLWithPath: logDir).standardizedFileURL.path
        )
        configuration.jobs = jobs
        configuration.workers = workers
        configuration.duration = .milliseconds(Int(duration * 1000))
        configuration.killInterval = killEvery > 0 ? .milliseconds(Int(killEvery * 1000)) : nil
        configuration.restartsPostgres = !noRestart
        configuration.terminatesConnections = !noTerminate
        configuration.concurrency = concurrency
        configuration.leaseMs = leaseMs
        configuration.seed = seed

        var logger = Logger(label: "offload.chaos")
        logger.logLevel = .warning
        var chaos = ChaosRun(
            configuration: configuration, server: server, cluster: cluster,
            progress: { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            })
        chaos.logger = logger
        chaos.keepDatabase = keepDatabase
        let report: ChaosReport
        do {
            report = try await chaos.run()
        } catch {
            if startedCluster, let cluster { _ = try? await cluster.stop() }
            throw error
        }
        if startedCluster, let cluster { _ = try? await cluster.stop() }
        print(report.render())
        print("worker logs: \(configuration.logDirectory)")
        if !report.passed { throw ExitCode(1) }
    }

    /// The running `offload` binary, which also runs the workers.
    static func ownExecutable() -> String {
        #if os(Linux)
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
