import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `offload fixture-worker` processes of a run: starts them, kills them, stops them, and remembers
/// every pid it ever killed.
final class WorkerFleet: Sendable {
    private struct State {
        var started: [ChildProcess] = []
        var killed: [Int32: ContinuousClock.Instant] = [:]
        var terminated: Set<Int32> = []
        var reportedExits: Set<Int32> = []
    }

    private let executable: String
    private let arguments: [String]
    private let environment: [String: String]
    private let logDirectory: String
    private let state = Mutex(State())

    /// A fleet whose workers connect to `databaseURL` (passed as `DATABASE_URL`, never on the command
    /// line, where `ps` would show a password).
    init(configuration: ChaosConfiguration, databaseURL: String) throws {
        executable = configuration.workerExecutable
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ChaosError("the worker executable \(executable) does not exist or is not executable")
        }
        arguments = configuration.workerArguments(parentPID: getpid())
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        self.environment = environment
        logDirectory = configuration.logDirectory
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
    }

    /// Starts one more worker.
    @discardableResult
    func start() throws -> ChildProcess {
        let number = state.withLock { $0.started.count + 1 }
        let log = "\(logDirectory)/worker-\(number).log"
        let child = try ChildProcess.spawn(executable, arguments, environment: environment, logFile: log)
        state.withLock { $0.started.append(child) }
        return child
    }

    /// Workers started and not yet ended.
    var alive: [ChildProcess] {
        state.withLock { $0.started.filter { $0.exitStatus == nil } }
    }

    /// Every worker ever started.
    var all: [ChildProcess] { state.withLock { $0.started } }

    /// Pids killed with SIGKILL.
    var killedPIDs: Set<Int32> { state.withLock { Set($0.killed.keys) } }

    /// SIGKILLs `victim` and waits until it is gone.
    func kill(_ victim: ChildProcess) async -> ChildExitStatus {
        state.withLock { $0.killed[victim.pid] = .now }
        victim.send(SIGKILL)
        return await victim.waitForExit()
    }

    /// Waits (at most `timeout`) until every live worker catches SIGTERM. Until a process installs its
    /// handler, SIGTERM's default action kills it, as it would any program: a worker respawned just
    /// before the final SIGTERM once died by the signal, which the run then counted as a failed drain.
    /// Reads the caught-signals mask in /proc; where there is none, waits one second.
    func waitUntilAllCatchSIGTERM(timeout: Duration) async {
        guard FileManager.default.fileExists(atPath: "/proc/self/status") else {
            try? await Task.sleep(for: .seconds(1))
            return
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if alive.allSatisfy({ Self.catchesSIGTERM($0.pid) }) { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Whether `pid` has a handler for SIGTERM (its bit in `SigCgt:` of /proc/PID/status), or is gone.
    private static func catchesSIGTERM(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return true }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << (UInt64(SIGTERM) - 1)) != 0
    }

    /// Sends SIGTERM to every live worker and waits for each (at most `timeout`; then SIGKILL).
    /// Returns each worker's pid, exit status and how long it took to exit.
    func terminateAll(timeout: Duration) async -> [(pid: Int32, status: ChildExitStatus, took: Duration)] {
        let workers = alive
        state.withLock { state in for worker in workers { state.terminated.insert(worker.pid) } }
        let sent = ContinuousClock.now
        for worker in workers { worker.send(SIGTERM) }
        var results: [(pid: Int32, status: ChildExitStatus, took: Duration)] = []
        for worker in workers {
            if let status = await worker.waitForExit(timeout: timeout - (.now - sent)) {
                results.append((worker.pid, status, .now - sent))
            } else {
                _ = await kill(worker)
                results.append((worker.pid, .signalled(SIGKILL), .now - sent))
            }
        }
        return results
    }

    /// Workers that ended although nobody killed or stopped them, each reported once.
    func newUnexpectedExits() -> [ChildProcess] {
        state.withLock { state in
            let exits = state.started.filter { child in
                child.exitStatus != nil && state.killed[child.pid] == nil && !state.terminated.contains(child.pid)
                    && !state.reportedExits.contains(child.pid)
            }
            for child in exits { state.reportedExits.insert(child.pid) }
            return exits
        }
    }

    /// Kills whatever still runs (after an error).
    func killAll() async {
        for worker in alive { _ = await kill(worker) }
    }
}
