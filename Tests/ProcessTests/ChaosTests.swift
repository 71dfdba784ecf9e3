import Foundation
import OffloadTestKit
import PGClient
import Testing

@testable import OffloadTools

/// `make chaos` in small: 2,000 jobs, 4 worker processes, 12 s of faults. On a cluster of its own when
/// the PostgreSQL server programs are installed (so it can restart it without disturbing other tests),
/// else on DATABASE_URL's server without the restart.
@Suite("Chaos")
struct ChaosTests {
    @Test func nothingIsLostAndOnlyKilledWorkersJobsRepeat() async throws {
        let privateCluster = try await PrivateCluster.start("chaos-test")
        let server = try privateCluster?.configuration ?? OffloadTestDatabase.serverConfiguration()
        var configuration = ChaosConfiguration(
            workerExecutable: OffloadBinary.path, logDirectory: logDirectory("chaos"))
        configuration.jobs = 2_000
        configuration.workers = 4
        configuration.duration = .seconds(12)
        configuration.killInterval = .seconds(2)
        configuration.settleTimeout = .seconds(120)
        // This runs beside the rest of the suite on two cores: a worker starved of processor time for a
        // whole lease counts as dead, so the lease is longer than `make chaos`'s 5 s.
        configuration.leaseMs = 8_000
        let run = ChaosRun(
            configuration: configuration, server: server, cluster: privateCluster?.cluster, progress: { print($0) })
        let report: ChaosReport
        do {
            report = try await run.run()
        } catch {
            await privateCluster?.stop()
            throw error
        }
        await privateCluster?.stop()
        print(report.render())

        for check in report.checks {
            #expect(check.passed, "\(check.name): \(check.detail) (logs: \(configuration.logDirectory))")
        }
        #expect(report.enqueued == 2_000)
        #expect(report.lost == 0)
        #expect(report.completed + report.dead == 2_000)
        #expect(report.dead == report.alwaysFailing)
        #expect(report.alwaysFailing > 0)
        #expect((report.fates[.unexplained] ?? 0) == 0)
        #expect((report.fates[.leaseLostByLiveWorker] ?? 0) == 0)
        #expect(report.interruptedByPIDsNotKilled == 0)
        #expect(report.faults.filter { $0.fault == .killWorker }.count >= 4)
        #expect(report.faults.contains { $0.fault == .terminateConnections })
        if privateCluster != nil {
            #expect(report.faults.contains { $0.fault == .restartPostgres })
        }
        #expect(report.sigterm.exitStatuses.allSatisfy { $0 == .exited(0) })
        #expect(report.sigterm.runningAfterwards == 0)
        #expect(report.sigterm.workerRowsLeft == 0)
    }
}
