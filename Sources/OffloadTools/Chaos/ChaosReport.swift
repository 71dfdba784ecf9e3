import Foundation
import PGClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a chaos run measured, and the checks that decide whether Offload kept its promises.
struct ChaosReport: Sendable {
    /// How the final SIGTERM went.
    struct Sigterm: Sendable {
        var workers = 0
        var exitStatuses: [ChildExitStatus] = []
        var slowestExit: Duration = .zero
        /// Jobs still `running` under the terminated workers once they exited (must be 0).
        var runningAfterwards = 0
        /// Their `offload.workers` rows left behind (must be 0).
        var workerRowsLeft = 0
    }

    /// How the fresh workers finished what the run left.
    struct Settle: Sendable {
        var leftBySigterm = 0
        var took: Duration = .zero
        var exitStatuses: [ChildExitStatus] = []
    }

    /// Why an invocation of `record` did not end its job's story.
    enum Fate: String, Sendable, CaseIterable {
        /// The attempt completed the job.
        case completed
        /// The handler threw on purpose (failFirst / alwaysFail): a retry, not a repeat.
        case failedByDesign
        /// The handler failed because the database went away under it (its own INSERT); the attempt
        /// was recorded as failed and retried.
        case failedByDatabaseFault
        /// Its worker was SIGKILLed mid-run; the lease expired and the job ran again elsewhere.
        case interruptedByKill
        /// Its lease expired although its worker was never killed (must not happen).
        case leaseLostByLiveWorker
        /// Handed back at the SIGTERM deadline and run again.
        case handedBackAtShutdown
        /// No outcome was recorded for the attempt by that process (must not happen).
        case unexplained
    }

    /// One named pass/fail check.
    struct Check: Sendable {
        let name: String
        let passed: Bool
        let detail: String
    }

    let configuration: ChaosConfiguration
    let database: String
    var notes: [String] = []
    var enqueued = 0
    var ambiguousEnqueues = 0
    var faults: [FaultRecord] = []
    /// Workers that ended by themselves (and were replaced, as a supervisor would).
    var selfExits: [SelfExit] = []
    var sigterm = Sigterm()
    var settle = Settle()
    var elapsed: Duration = .zero

    // Filled by verify().
    var distinctJobNumbers = 0
    var completed = 0
    var dead = 0
    var alwaysFailing = 0
    var deadNotAlwaysFailing = 0
    var alwaysFailingNotDead = 0
    var lost = 0
    var invocations = 0
    var fates: [Fate: Int] = [:]
    var jobsRunMoreThanOnce = 0
    /// Jobs whose repeat was not a designed or recorded failure: a run whose outcome was never recorded.
    var jobsRepeatedAfterKill = 0
    var jobsRepeatedAfterShutdown = 0
    /// Jobs run again because an attempt failed on purpose (failFirst/alwaysFail).
    var jobsRetriedByDesign = 0
    /// Jobs run again because an attempt failed on a database fault.
    var jobsRetriedAfterDatabaseFault = 0
    var completedWithoutCompletingRun = 0
    var killedPIDs = 0
    var killedPIDsThatInterruptedJobs = 0
    var interruptedByPIDsNotKilled = 0
    var checks: [Check] = []

    var passed: Bool { checks.allSatisfy(\.passed) }

    /// A signal nobody sent: a crash (SIGILL/SIGTRAP from a Swift trap, SIGSEGV, SIGABRT, …).
    static func isCrash(_ status: ChildExitStatus) -> Bool {
        if case .signalled = status { return true }
        return false
    }

    /// Reads the database and fills in the numbers and checks.
    mutating func verify(pool: ConnectionPool, killedPIDs killed: Set<Int32>) async throws {
        let jobs = try await pool.query(ChaosSQL.jobs).rows
        var numbers = Set<Int>()
        var repeatedAfterKill = Set<Int64>()
        var repeatedAfterShutdown = Set<Int64>()
        var retriedByDesign = Set<Int64>()
        var retriedAfterDatabaseFault = Set<Int64>()
        var completingRuns: [Int64: Int] = [:]
        for row in jobs {
            numbers.insert(try row.decode(Int.self, "n"))
            let state = try row.decode(String.self, "state")
            let alwaysFail = try row.decode(Bool.self, "always_fail")
            if alwaysFail { alwaysFailing += 1 }
            switch state {
            case "completed": completed += 1
            case "dead":
                dead += 1
                if !alwaysFail { deadNotAlwaysFailing += 1 }
            default: lost += 1
            }
            if alwaysFail && state != "dead" { alwaysFailingNotDead += 1 }
            if try row.decode(Int.self, "invocations") > 1 { jobsRunMoreThanOnce += 1 }
        }
        distinctJobNumbers = numbers.count

        var interruptingPIDs = Set<Int32>()
        for row in try await pool.query(ChaosSQL.invocationFates).rows {
            invocations += 1
            let jobID = try row.decode(Int64.self, "job_id")
            let pid = Int32(try row.decode(Int.self, "pid"))
            let fate: Fate
            switch try row.decode(String?.self, "fate") {
            case nil: fate = .unexplained
            case "Completed":
                fate = .completed
                completingRuns[jobID, default: 0] += 1
            case "LeaseExpired":
                fate = killed.contains(pid) ? .interruptedByKill : .leaseLostByLiveWorker
            case "Shutdown": fate = .handedBackAtShutdown
            case let type? where type.hasSuffix("FixtureFailure"): fate = .failedByDesign
            case _?: fate = .failedByDatabaseFault
            }
            fates[fate, default: 0] += 1
            switch fate {
            case .interruptedByKill, .leaseLostByLiveWorker, .unexplained:
                repeatedAfterKill.insert(jobID)
                if fate == .interruptedByKill { interruptingPIDs.insert(pid) } else { interruptedByPIDsNotKilled += 1 }
            case .handedBackAtShutdown:
                repeatedAfterShutdown.insert(jobID)
            case .failedByDesign:
                retriedByDesign.insert(jobID)
            case .failedByDatabaseFault:
                retriedAfterDatabaseFault.insert(jobID)
            default:
                break
            }
        }
        jobsRepeatedAfterKill = repeatedAfterKill.count
        jobsRepeatedAfterShutdown = repeatedAfterShutdown.subtracting(repeatedAfterKill).count
        jobsRetriedByDesign = retriedByDesign.count
        jobsRetriedAfterDatabaseFault = retriedAfterDatabaseFault.count
        completedWithoutCompletingRun = completed - completingRuns.values.filter { $0 == 1 }.count
        killedPIDs = killed.count
        killedPIDsThatInterruptedJobs = interruptingPIDs.count

        let expectedDead = alwaysFailing
        checks = [
            Check(
                name: "every job enqueued exactly once",
                passed: enqueued == configuration.jobs && distinctJobNumbers == configuration.jobs,
                detail: "\(enqueued) rows, \(distinctJobNumbers) distinct job numbers, \(configuration.jobs) intended"),
            Check(name: "no job lost", passed: lost == 0, detail: "\(lost) jobs still available/running/retryable"),
            Check(
                name: "dead = exactly the always-failing jobs",
                passed: dead == expectedDead && deadNotAlwaysFailing == 0 && alwaysFailingNotDead == 0,
                detail: "\(dead) dead, \(expectedDead) always-failing, \(deadNotAlwaysFailing) dead that should not be"),
            Check(
                name: "every completed job ran and completed once", passed: completedWithoutCompletingRun == 0,
                detail: "\(completedWithoutCompletingRun) completed jobs without exactly one completing run"),
            Check(
                name: "only SIGKILLed workers' jobs repeat",
                passed: interruptedByPIDsNotKilled == 0 && (fates[.unexplained] ?? 0) == 0
                    && (fates[.leaseLostByLiveWorker] ?? 0) == 0,
                detail: "\(interruptedByPIDsNotKilled) interrupted runs by processes that were never killed"),
            Check(
                name: "SIGTERM: every worker exits 0",
                passed: sigterm.exitStatuses.allSatisfy { $0 == .exited(0) }
                    && settle.exitStatuses.allSatisfy { $0 == .exited(0) },
                detail: (sigterm.exitStatuses + settle.exitStatuses).map(\.description).joined(separator: ", ")),
            Check(
                name: "SIGTERM: nothing left running, worker rows gone",
                passed: sigterm.runningAfterwards == 0 && sigterm.workerRowsLeft == 0,
                detail: "\(sigterm.runningAfterwards) running, \(sigterm.workerRowsLeft) rows"),
            Check(
                name: "no worker died on its own once running",
                passed: selfExits.allSatisfy {
                    !$0.afterRegistering && $0.status != .signalled(SIGKILL) && !Self.isCrash($0.status)
                },
                detail: selfExits.isEmpty
                    ? "none exited by itself"
                    : selfExits.map {
                        "pid \($0.pid) \($0.status) \($0.afterRegistering ? "while running" : "during start-up")"
                    }.joined(separator: ", ")),
            Check(
                name: "every fault recovered", passed: faults.allSatisfy { $0.recovery != nil },
                detail: "\(faults.filter { $0.recovery == nil }.count) of \(faults.count) never recovered"),
        ]
    }
}
