import Foundation
import PGClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An `offload fixture-worker` process started by the benchmark: its own binary, so the worker
/// measured is the one just built, in a process of its own, as in production.
extension ChildProcess {
    /// Waits until the worker has registered itself in `offload.workers`, i.e. it is connected and
    /// about to claim. Fails with the end of its log if it exits first or takes longer than `timeout`.
    func waitUntilRegistered(_ database: some Queryable, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus {
                throw BenchError("the worker exited during start-up (\(status)):\n\(logTail())")
            }
            let query: Query = "SELECT count(*) AS n FROM offload.workers WHERE pid = \(Int(pid))"
            if try await database.query(query).single(Int.self, "n") > 0 { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchError("the worker did not start within \(timeout):\n\(logTail())")
    }

    /// Stops the worker gracefully (SIGTERM) and waits for it; SIGKILL after `timeout`. Throws unless
    /// it exited with status 0.
    func stopWorker(timeout: Duration = .seconds(30)) async throws {
        let status = await terminate(timeout: timeout)
        guard status == .exited(0) else {
            throw BenchError("the worker did not exit 0 within \(timeout) of SIGTERM (\(status)):\n\(logTail())")
        }
    }
}
