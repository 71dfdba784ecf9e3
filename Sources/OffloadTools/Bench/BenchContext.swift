import Foundation
import Synchronization

/// What every scenario needs: the database, the sizes, and how to start worker processes.
struct BenchContext: Sendable {
    let database: BenchDatabase
    let settings: BenchSettings
    /// The `offload` binary whose `fixture-worker` is measured (normally this very program).
    let workerBinary: String
    /// Where worker logs go.
    let logDirectory: String
    /// nil when pgbench is not installed (the ceiling is then not measured).
    let pgbench: Pgbench?
    /// The server's processor time, when it runs on this machine.
    let serverCPU: ServerCPU?
    /// Writes a progress line to standard error.
    let progress: @Sendable (String) -> Void

    /// Runs `body` and returns its result with the server's processor time per job in microseconds
    /// (nil when the server is not on this machine).
    func measuringServerCPU<T>(
        jobs: Int, _ body: () async throws -> T
    ) async throws -> (result: T, serverCPUMicrosecondsPerJob: Double?) {
        let before = serverCPU?.seconds()
        let result = try await body()
        guard let before, let after = serverCPU?.seconds() else { return (result, nil) }
        return (result, (after - before) * 1_000_000 / Double(jobs))
    }

    /// Starts a fixture worker on the bench database and waits until it is ready to claim.
    /// `extraArguments` are passed on to `offload fixture-worker` (e.g. a retention).
    func startWorker(concurrency: Int, claimBatch: Int, extraArguments: [String] = []) async throws -> ChildProcess {
        let index = WorkerLogCounter.next()
        let worker = try ChildProcess.spawn(
            workerBinary,
            [
                "fixture-worker",
                "--database-url", database.childTarget,
                "--concurrency", String(concurrency),
                "--claim-batch", String(claimBatch),
                "--log-level", "warning",
            ] + extraArguments,
            logFile: "\(logDirectory)/worker-\(index).log"
        )
        do {
            try await worker.waitUntilRegistered(database.pool)
        } catch {
            worker.killNow()
            throw error
        }
        return worker
    }

    /// Starts `count` workers; if one fails to start, the others are killed.
    func startWorkers(_ count: Int, concurrency: Int, claimBatch: Int) async throws -> [ChildProcess] {
        var workers: [ChildProcess] = []
        do {
            for _ in 0..<count {
                workers.append(try await startWorker(concurrency: concurrency, claimBatch: claimBatch))
            }
        } catch {
            for worker in workers { worker.killNow() }
            throw error
        }
        return workers
    }
}

/// Numbers worker log files within one benchmark process.
enum WorkerLogCounter {
    private static let counter = Atomic<Int>(0)
    static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}
