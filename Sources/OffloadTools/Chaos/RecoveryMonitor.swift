import Foundation
import PGClient
import Synchronization

/// One injected fault and how long the system took to recover from it.
struct FaultRecord: Sendable {
    let fault: ChaosFault
    /// When it happened, from the start of the run.
    let at: Duration
    /// What exactly was done (which pid, how many connections, how long PostgreSQL was down).
    var detail: String
    /// From the fault until the recovery condition held; nil if it never did.
    var recovery: Duration?
    /// What "recovered" means for this fault.
    let condition: RecoveryCondition
}

/// What must hold again for a fault to count as recovered.
enum RecoveryCondition: Sendable {
    /// The killed worker's running jobs are no longer held by it (their leases expired and they were
    /// rescued, and usually already re-run).
    case jobsReleased(jobIDs: [Int64], workerIDs: [String])
    /// Every live worker heart-beat after the fault (server time) and outcomes are being recorded
    /// again (more jobs completed than at the fault, or nothing left to run).
    case workersBack(after: Date, completedAtFault: Int)

    var summary: String {
        switch self {
        case .jobsReleased: return "its running jobs rescued"
        case .workersBack: return "all workers heart-beating and completing again"
        }
    }
}

/// Watches the open faults every 50 ms and records when each one's recovery condition first holds.
final class RecoveryMonitor: Sendable {
    private struct Open {
        var index: Int
        let started: ContinuousClock.Instant
    }

    private let records = Mutex<[FaultRecord]>([])
    private let open = Mutex<[Open]>([])
    private let pool: ConnectionPool
    private let fleet: WorkerFleet
    private let runStart: ContinuousClock.Instant

    init(pool: ConnectionPool, fleet: WorkerFleet, runStart: ContinuousClock.Instant) {
        self.pool = pool
        self.fleet = fleet
        self.runStart = runStart
    }

    /// Records a fault that happened at `instant`; its recovery is watched from then on.
    func record(
        _ fault: ChaosFault, at instant: ContinuousClock.Instant, detail: String, until condition: RecoveryCondition
    ) {
        let index = records.withLock { records in
            records.append(
                FaultRecord(fault: fault, at: instant - runStart, detail: detail, recovery: nil, condition: condition))
            return records.count - 1
        }
        open.withLock { $0.append(Open(index: index, started: instant)) }
    }

    var all: [FaultRecord] { records.withLock { $0 } }

    var openCount: Int { open.withLock { $0.count } }

    /// Checks the open faults until cancelled.
    func run() async {
        while !Task.isCancelled {
            await checkOnce()
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits (at most `timeout`) until every fault recovered.
    func waitUntilAllRecovered(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while openCount > 0, ContinuousClock.now < deadline {
            await checkOnce()
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private func checkOnce() async {
        let pending = open.withLock { $0 }
        for item in pending {
            let condition = records.withLock { $0[item.index].condition }
            // A query that fails (the server is down) just means: not recovered yet.
            guard (try? await holds(condition)) == true else { continue }
            let took = ContinuousClock.now - item.started
            records.withLock { $0[item.index].recovery = took }
            open.withLock { $0.removeAll { $0.index == item.index } }
        }
    }

    private func holds(_ condition: RecoveryCondition) async throws -> Bool {
        switch condition {
        case .jobsReleased(let jobIDs, let workerIDs):
            if jobIDs.isEmpty { return true }
            return try await pool.query(ChaosSQL.stillHeld(jobIDs: jobIDs, workerIDs: workerIDs)).single(Int.self, "n")
                == 0
        case .workersBack(let after, let completedAtFault):
            let pids = fleet.alive.map(\.pid)
            let beats = try await pool.query(ChaosSQL.heartbeats(pids: pids, after: after)).rows
            guard let row = beats.first else { return false }
            let registered = try row.decode(Int.self, "registered")
            guard registered > 0, try row.decode(Int.self, "fresh") == registered else { return false }
            let progress = try await pool.query(ChaosSQL.progress).rows
            guard let now = progress.first else { return false }
            return try now.decode(Int.self, "completed") > completedAtFault || now.decode(Int.self, "runnable") == 0
        }
    }
}
