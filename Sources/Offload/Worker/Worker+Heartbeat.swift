import Foundation
import PGClient

extension Worker {
    /// How often the heartbeat runs: the configured interval, but at most a third of the lease, so a
    /// late pass or two never lets a lease run out.
    static func heartbeatInterval(_ configuration: WorkerConfiguration) -> Duration {
        min(configuration.heartbeatInterval, configuration.leaseDuration / 3)
    }

    /// The settings of the worker's own sessions (claims, outcomes, heartbeat, maintenance).
    ///
    /// - The search path is pinned (`ConnectionConfiguration.pinnedSearchPath`), so nothing the worker
    ///   runs resolves to an object an app login planted (docs/security.md).
    /// - `lock_timeout`: a statement waiting for a lock (an operator's `LOCK TABLE`, a long `ALTER`)
    ///   gives up after a heartbeat's length and is retried, so the heartbeat keeps proving the worker
    ///   alive and a shutdown keeps its deadline.
    /// - `statement_timeout`: no statement of the worker's own runs for long; one that does is stuck.
    static func ownConnectionConfiguration(
        _ base: ConnectionConfiguration, _ configuration: WorkerConfiguration
    ) -> ConnectionConfiguration {
        let lockTimeout = max(.milliseconds(100), min(heartbeatInterval(configuration), .seconds(5)))
        return base.pinningSearchPath()
            .setting("lock_timeout", to: "\(lockTimeout.milliseconds)ms")
            .setting("statement_timeout", to: "60s")
    }

    /// The worker's row in `offload.workers`, as registered at start (and again if it was forgotten).
    var registration: Query {
        WorkerSQL.register(
            id: id, hostname: ProcessInfo.processInfo.hostName, pid: Int(getpid()),
            queues: configuration.queues, concurrency: configuration.concurrency,
            leaseSeconds: configuration.leaseDuration.seconds
        )
    }

    /// Proves the worker alive, renews the leases of every job it holds and stops jobs someone asked
    /// to cancel, every heartbeat interval, until cancelled.
    ///
    /// It runs on the worker's own pool, whose other users (the claim loop, the outcome writer) hold
    /// at most one connection each: it never waits behind handlers, which use the app's pool.
    func heartbeat() async {
        let interval = Self.heartbeatInterval(configuration)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            do {
                try await heartbeatPass()
            } catch is CancellationError {
                return
            } catch {
                logger.warning(
                    "heartbeat failed; will try again",
                    metadata: ["error": "\(String(describing: error).escapingControlCharacters)"]
                )
            }
        }
    }

    /// One heartbeat: proof of life first, in a statement that touches no job (so a lock on the jobs
    /// table cannot hold it up), then the renewal of every held job's lease.
    func heartbeatPass() async throws {
        try await ownPool.withConnection { connection in
            if try await connection.execute(WorkerSQL.heartbeat(id: id)) == 0 {
                // Forgotten as stale (silent for 10 minutes, e.g. a suspended laptop): register again.
                try await connection.execute(registration)
            }
            // Running jobs, and finished ones whose outcome is not written yet.
            let held = running.ids + outcomes.unwrittenJobIDs
            let renewed = try await connection.query(
                WorkerSQL.renewLeases(jobIDs: held, workerID: id, leaseSeconds: configuration.leaseDuration.seconds)
            )
            for row in renewed.rows where try row.decode(Bool.self, "cancel_requested") {
                running.stop(try row.decode(Int64.self, "id"), because: .cancelRequested)
            }
        }
    }
}
