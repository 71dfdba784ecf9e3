import Foundation
import Logging
import Offload
import OffloadCLI
import OffloadLocalPostgres
import PGClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One chaos run: worker processes work through jobs while workers are SIGKILLed, PostgreSQL restarts
/// and connections are terminated; then every worker gets SIGTERM, fresh workers finish what is left,
/// and the database is checked for lost, duplicated and wrongly finished jobs.
struct ChaosRun: Sendable {
    let configuration: ChaosConfiguration
    /// The server to create the run's database on.
    let server: ConnectionConfiguration
    /// The local cluster serving `server`, restarted once; nil skips the restart.
    let cluster: LocalCluster?
    /// Progress lines (to stderr in the command; to the test log in tests).
    let progress: @Sendable (String) -> Void
    var logger = Logger(label: "offload.chaos")
    /// Keep the run's database afterwards (for digging). Defaults to false.
    var keepDatabase = false

    func run() async throws -> ChaosReport {
        let database = try await ChaosDatabase.create(on: server, logger: logger)
        progress("chaos: database \(database.name) on \(server.redactedTarget)")
        do {
            let report = try await run(in: database)
            if !keepDatabase { try? await database.drop() }
            return report
        } catch {
            if !keepDatabase { try? await database.drop() }
            throw error
        }
    }

    private func run(in database: ChaosDatabase) async throws -> ChaosReport {
        let restarts = configuration.restartsPostgres && cluster != nil
        let schedule = ChaosSchedule(configuration: configuration, restartsPostgres: restarts)
        let pool = ConnectionPool(
            database.runnerConfiguration, maxConnections: 4, acquireTimeout: .seconds(30), logger: logger)
        defer { pool.close() }
        let fleet = try WorkerFleet(
            configuration: configuration, databaseURL: database.workerConfiguration.connectionString())
        var report = ChaosReport(configuration: configuration, database: database.name)
        if configuration.restartsPostgres && cluster == nil {
            report.notes.append(
                "PostgreSQL restart skipped: DATABASE_URL is not a local cluster this run may restart (use --local-dir)"
            )
        }

        let start = ContinuousClock.now
        let monitor = RecoveryMonitor(pool: pool, fleet: fleet, runStart: start)
        let exits = SelfExits()
        for _ in 0..<configuration.workers { try fleet.start() }
        progress(
            "chaos: \(configuration.workers) workers started; enqueueing \(configuration.jobs) jobs over \(configuration.duration * 0.75)"
        )

        let producer = ChaosProducer(
            mix: ChaosJobMix(configuration: configuration), pool: pool, window: configuration.duration * 0.75,
            logger: logger)
        do {
            report.ambiguousEnqueues = try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask { try await producer.run(total: configuration.jobs) }
                group.addTask {
                    await monitor.run()
                    return nil
                }
                group.addTask {
                    await supervise(fleet: fleet, pool: pool, exits: exits)
                    return nil
                }
                var victims = SplitMix64(seed: configuration.seed ^ 0xC4A0_5000)
                for event in schedule.events {
                    try await Task.sleep(until: start + event.at, clock: .continuous)
                    try await inject(event.fault, fleet: fleet, pool: pool, monitor: monitor, random: &victims)
                }
                try await Task.sleep(until: start + configuration.duration, clock: .continuous)
                // The producer is done by now, or nearly (it catches up after an outage).
                let ambiguous = try await group.next() ?? nil
                progress("chaos: all jobs enqueued; waiting for the last faults to be recovered")
                await monitor.waitUntilAllRecovered(timeout: .seconds(60))
                group.cancelAll()
                return ambiguous ?? 0
            }
        } catch {
            await fleet.killAll()
            throw error
        }
        report.enqueued = try await pool.query("SELECT count(*) AS n FROM offload.jobs").single(Int.self, "n")
        report.faults = monitor.all
        await superviseOnce(fleet: fleet, pool: pool, exits: exits)
        report.selfExits = exits.all

        // Final SIGTERM, while jobs still run, once every worker can catch it.
        await fleet.waitUntilAllCatchSIGTERM(timeout: .seconds(10))
        progress("chaos: SIGTERM to \(fleet.alive.count) workers")
        let stopTimeout = Duration.milliseconds(configuration.shutdownDeadlineMs) + .seconds(20)
        let stopped = await fleet.terminateAll(timeout: stopTimeout)
        let stoppedPIDs = stopped.map(\.pid)
        report.sigterm = .init(
            workers: stopped.count,
            exitStatuses: stopped.map(\.status),
            slowestExit: stopped.map(\.took).max() ?? .zero,
            runningAfterwards: try await pool.query(ChaosSQL.runningHeld(byPIDs: stoppedPIDs)).single(Int.self, "n"),
            workerRowsLeft: try await pool.query(ChaosSQL.workerRowsLeft(pids: stoppedPIDs)).single(Int.self, "n")
        )

        // Fresh workers, no faults: finish whatever the run left, or show that something cannot be.
        let leftOver = try await pool.query(ChaosSQL.progress).single(Int.self, "unfinished")
        progress("chaos: \(leftOver) jobs unfinished; \(configuration.workers) fresh workers finish them")
        let settleStart = ContinuousClock.now
        let fresh = try (0..<configuration.workers).map { _ in try fleet.start().pid }
        // Running workers are what SIGTERM is meant for; one still starting up is a separate case
        // (covered by the process tests), so wait until each has registered.
        _ = try await retrying {
            guard try await pool.query(ChaosSQL.registered(pids: fresh)).single(Int.self, "n") == fresh.count else {
                throw ChaosError("the fresh workers did not register")
            }
        }
        var unfinished = leftOver
        while ContinuousClock.now - settleStart < configuration.settleTimeout {
            unfinished = try await pool.query(ChaosSQL.progress).single(Int.self, "unfinished")
            if unfinished == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        report.settle = .init(leftBySigterm: leftOver, took: ContinuousClock.now - settleStart)
        let settled = await fleet.terminateAll(timeout: stopTimeout)
        report.settle.exitStatuses = settled.map(\.status)
        report.elapsed = ContinuousClock.now - start

        try await report.verify(pool: pool, killedPIDs: fleet.killedPIDs)
        return report
    }

    private func inject(
        _ fault: ChaosFault, fleet: WorkerFleet, pool: ConnectionPool, monitor: RecoveryMonitor,
        random: inout SplitMix64
    ) async throws {
        switch fault {
        case .killWorker:
            let alive = fleet.alive
            guard !alive.isEmpty else { return }
            let victim = alive[Int(random.next() % UInt64(alive.count))]
            let at = ContinuousClock.now
            _ = await fleet.kill(victim)
            try fleet.start()
            // The dead process holds what it held at the moment of death; read it now. If the
            // database is unreachable just then, wait for it: the answer does not change.
            let (workerIDs, held) = try await retrying {
                let ids = try await pool.query(ChaosSQL.workerIDs(pid: victim.pid)).rows.map {
                    try $0.decode(String.self, "id")
                }
                let held =
                    ids.isEmpty
                    ? []
                    : try await pool.query(ChaosSQL.heldJobs(workerIDs: ids)).rows.map {
                        try $0.decode(Int64.self, "id")
                    }
                return (ids, held)
            }
            progress("chaos: SIGKILL pid \(victim.pid) holding \(held.count) running jobs")
            monitor.record(
                .killWorker, at: at, detail: "pid \(victim.pid), \(held.count) jobs running",
                until: .jobsReleased(jobIDs: held, workerIDs: workerIDs)
            )
        case .restartPostgres:
            guard let cluster else { return }
            let completed = try await pool.query(ChaosSQL.progress).single(Int.self, "completed")
            let at = ContinuousClock.now
            progress("chaos: restarting PostgreSQL (fast shutdown)")
            try await cluster.stop()
            _ = try await cluster.start()
            let down = ContinuousClock.now - at
            let serverNow = try await retrying { try await pool.query(ChaosSQL.progress).single(Date.self, "at") }
            progress("chaos: PostgreSQL back after \(Self.format(down))")
            monitor.record(
                .restartPostgres, at: at, detail: "down \(Self.format(down))",
                until: .workersBack(after: serverNow, completedAtFault: completed)
            )
        case .terminateConnections:
            let before = try await pool.query(ChaosSQL.progress).rows[0]
            let at = ContinuousClock.now
            let terminated = try await pool.query(ChaosSQL.terminateWorkerConnections).single(Int.self, "terminated")
            progress("chaos: terminated \(terminated) worker connections")
            monitor.record(
                .terminateConnections, at: at, detail: "\(terminated) connections",
                until: .workersBack(
                    after: try before.decode(Date.self, "at"),
                    completedAtFault: try before.decode(Int.self, "completed"))
            )
        }
    }

    /// Plays the supervisor (systemd, Kubernetes) for workers that exit by themselves: records why and
    /// starts another, until cancelled.
    private func supervise(fleet: WorkerFleet, pool: ConnectionPool, exits: SelfExits) async {
        while !Task.isCancelled {
            await superviseOnce(fleet: fleet, pool: pool, exits: exits)
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    private func superviseOnce(fleet: WorkerFleet, pool: ConnectionPool, exits: SelfExits) async {
        for child in fleet.newUnexpectedExits() {
            let registered =
                (try? await retrying {
                    try await pool.query(ChaosSQL.registered(pids: [child.pid])).single(Int.self, "n") > 0
                }) ?? false
            let log = (try? String(contentsOfFile: child.logFile, encoding: .utf8)) ?? ""
            let reason =
                log.split(separator: "\n").last { $0.contains("Error") || $0.contains("error") }.map(String.init)
                ?? "(no error in its log)"
            let exit = SelfExit(
                pid: child.pid, status: child.exitStatus ?? .exited(-1), afterRegistering: registered, reason: reason)
            exits.append(exit)
            progress(
                "chaos: worker pid \(child.pid) exited by itself (\(exit.status)) \(registered ? "while running" : "during start-up"): \(reason); starting another"
            )
            _ = try? fleet.start()
        }
    }

    /// Retries `body` every 100 ms for up to 30 s (the server may be restarting).
    private func retrying<T>(_ body: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                return try await body()
            } catch {
                if ContinuousClock.now > deadline { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    static func format(_ duration: Duration) -> String {
        String(format: "%.2f s", duration.seconds)
    }
}

/// A worker that ended without being killed or stopped.
struct SelfExit: Sendable {
    let pid: Int32
    let status: ChildExitStatus
    /// Whether it had registered (was running jobs) before it ended; else it failed while starting.
    let afterRegistering: Bool
    /// The last error line of its log.
    let reason: String
}

/// The self-exits seen so far.
final class SelfExits: Sendable {
    private let exits = Mutex<[SelfExit]>([])
    func append(_ exit: SelfExit) { exits.withLock { $0.append(exit) } }
    var all: [SelfExit] { exits.withLock { $0 } }
}
