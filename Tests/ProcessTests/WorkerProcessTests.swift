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

/// Real `offload fixture-worker` processes: several at once, killed, terminated.
@Suite("Worker processes")
struct WorkerProcessTests {
    @Test func twoProcessesRunTwoThousandJobsEachExactlyOnce() async throws {
        try await FixtureDatabase.with { database async throws in
            try await database.enqueueRecord(2_000)
            let logs = logDirectory("two-processes")
            let workers = try (1...2).map {
                try FixtureWorker.start(
                    database.configuration, logDirectory: logs, name: "worker-\($0)", ["--concurrency", "20"])
            }
            let done = try await eventually(timeout: .seconds(180)) {
                try await database.count("state = 'completed'") == 2_000
            }
            var statuses: [ChildExitStatus] = []
            for worker in workers { statuses.append(await worker.terminate()) }
            #expect(done, "logs: \(logs)")
            #expect(statuses == [.exited(0), .exited(0)])

            let invocations = try await database.invocations()
            #expect(invocations.count == 2_000)
            #expect(Set(invocations.map(\.jobID)).count == 2_000)
            #expect(invocations.allSatisfy { $0.attempt == 1 })
            #expect(Set(invocations.map(\.pid)).isSubset(of: Set(workers.map(\.pid))))
            #expect(try await database.count("state <> 'completed'") == 0)
            #expect(try await database.workerRows() == 0)
        }
    }

    @Test func jobOfAKilledWorkerIsRescuedAndCompletedByAnother() async throws {
        try await FixtureDatabase.with { database async throws in
            // The first attempt outlasts the test, however slowly it notices the start; the rescued
            // attempt finishes at once. (A 3-second job once finished before a loaded test killed it.)
            let id = try #require(try await database.enqueueRecord(1, .init(firstAttemptSleepMs: 600_000)).first)
            let logs = logDirectory("sigkill")
            let first = try FixtureWorker.start(database.configuration, logDirectory: logs, name: "killed")
            let started = try await eventually { try await database.invocations().contains { $0.jobID == id } }
            #expect(started, "logs: \(logs)")
            #expect(await first.kill() == .signalled(SIGKILL))
            #expect(try await database.count("id = \(id) AND state = 'running'") == 1)

            let second = try FixtureWorker.start(database.configuration, logDirectory: logs, name: "rescuer")
            let completed = try await eventually(timeout: .seconds(60)) {
                try await database.count("id = \(id) AND state = 'completed'") == 1
            }
            #expect(await second.terminate() == .exited(0))
            #expect(completed, "logs: \(logs)")

            let invocations = try await database.invocations()
            #expect(invocations.map(\.attempt) == [1, 2])
            #expect(invocations.map(\.pid) == [first.pid, second.pid])
            let job = try #require(try await JobRow.find(id, in: database.pool))
            #expect(job.attempt == 2)
            #expect(job.errors.map(\.type) == ["LeaseExpired"])
            #expect(job.errors.first?.attempt == 1)
        }
    }

    @Test func sigtermLetsRunningJobsFinishLeavesTheRestAvailableAndExitsZero() async throws {
        try await FixtureDatabase.with { database async throws in
            // Concurrency 2 and two slow jobs first in line: those two run, the others wait. Slow
            // enough that a loaded test still sends SIGTERM before they finish and free their slots.
            let slow = try await database.enqueueRecord(2, .init(sleepMs: 4_000), priority: -1)
            let waiting = try await database.enqueueRecord(20)
            let logs = logDirectory("sigterm-drain")
            let worker = try FixtureWorker.start(
                database.configuration, logDirectory: logs, ["--concurrency", "2", "--poll-ms", "60000"]
            )
            let running = try await eventually { try await database.invocations().count == 2 }
            #expect(running, "logs: \(logs)")
            #expect(await worker.terminate() == .exited(0))

            #expect(
                try await database.count(
                    "id = ANY('{\(slow.map(String.init).joined(separator: ","))}'::bigint[]) AND state = 'completed'")
                    == 2)
            // Never started: still available, no attempt spent, no error recorded.
            let rest = try await JobRow.all(database.pool).filter { waiting.contains($0.id) }
            #expect(rest.count == 20)
            #expect(rest.allSatisfy { $0.state == .available && $0.attempt == 0 && $0.errors.isEmpty })
            #expect(try await database.count("state = 'running'") == 0)
            #expect(try await database.workerRows() == 0)
            #expect(try await database.invocations().map(\.jobID).sorted() == slow)
        }
    }

    @Test func sigtermHandsBackAJobStillRunningAtTheDeadline() async throws {
        try await FixtureDatabase.with { database async throws in
            let id = try #require(try await database.enqueueRecord(1, .init(sleepMs: 600_000)).first)
            let logs = logDirectory("sigterm-deadline")
            let worker = try FixtureWorker.start(
                database.configuration, logDirectory: logs, ["--shutdown-deadline-ms", "500"])
            let started = try await eventually { try await database.invocations().count == 1 }
            #expect(started, "logs: \(logs)")
            #expect(await worker.terminate() == .exited(0))

            let job = try #require(try await JobRow.find(id, in: database.pool))
            #expect(job.state == .available)
            #expect(job.attempt == 0)  // the interrupted attempt does not count
            #expect(job.errors.map(\.type) == ["Shutdown"])
            #expect(try await database.workerRows() == 0)
        }
    }

    /// A stop signal that arrives while the worker is still starting (here: waiting for a lock on the
    /// schema ledger) ends in a graceful stop and exit 0, not death by the signal.
    @Test func sigtermDuringStartUpIsAGracefulStop() async throws {
        try await FixtureDatabase.with { database async throws in
            try await database.enqueueRecord(5)
            let locker = try await Connection.connect(database.configuration)
            try await locker.execute("BEGIN")
            try await locker.execute("LOCK offload.migrations IN ACCESS EXCLUSIVE MODE")
            let logs = logDirectory("sigterm-startup")
            let worker = try FixtureWorker.start(database.configuration, logDirectory: logs)
            let waiting = try await eventually {
                try await locker.query(
                    """
                    SELECT count(*) AS n FROM pg_locks
                    WHERE relation = 'offload.migrations'::regclass AND NOT granted
                    """
                ).single(Int.self, "n") > 0
            }
            #expect(waiting, "logs: \(logs)")
            worker.child.send(SIGTERM)
            // Released only once the worker has taken the signal, so that it arrives during start-up.
            #expect(try await waitUntilTaken(SIGTERM, by: worker.pid), "logs: \(logs)")
            try await locker.execute("ROLLBACK")
            let status = await worker.child.waitForExit(timeout: .seconds(60))
            #expect(status == .exited(0), "logs: \(logs)")
            #expect(try await database.count("state = 'running'") == 0)
            #expect(try await database.workerRows() == 0)
        }
    }
}
