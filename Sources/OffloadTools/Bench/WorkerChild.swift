import Foundation
import PGClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An `offload fixture-worker` process started by the benchmark: its own binary, so the worker
/// measured is the one just built, in a process of its own, as in production.
///
/// Started with `posix_spawn`; a thread reaps it, so its exit status is known exactly and no zombie
/// is left.
final class WorkerChild: Sendable {
    let pid: pid_t
    let logFile: String
    private let exit = Mutex<Int32?>(nil)

    private init(pid: pid_t, logFile: String) {
        self.pid = pid
        self.logFile = logFile
    }

    /// Starts `executable fixture-worker` with `arguments`; its output is appended to `logFile`.
    static func spawn(executable: String, arguments: [String], logFile: String) throws -> WorkerChild {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable, "fixture-worker"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard result == 0 else {
            throw BenchError("cannot start \(executable) fixture-worker: \(String(cString: strerror(result)))")
        }
        let child = WorkerChild(pid: pid, logFile: logFile)
        // A thread, not a task: waitpid blocks, and the cooperative pool must never block.
        let reaper = Thread { [child] in child.reap() }
        reaper.name = "offload.bench.reaper"
        reaper.start()
        return child
    }

    private func reap() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        exit.withLock { $0 = status }
    }

    /// True once the process has ended.
    var hasExited: Bool { exit.withLock { $0 != nil } }

    /// The most resident memory the process has used so far (`VmHWM` in `/proc/PID/status`), in
    /// megabytes (2^20 bytes); nil where there is no `/proc`.
    func peakResidentMegabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap {
                Double($0)
            }
            return kilobytes.map { $0 / 1024 }
        }
        return nil
    }

    /// The processor time the process has used so far (user plus system, from `/proc/PID/stat`), in
    /// seconds; nil where there is no `/proc`. Less disturbed by other programs than wall time is.
    func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Waits until the worker has registered itself in `offload.workers`, i.e. it is connected and
    /// about to claim. Fails with the end of its log if it exits first or takes longer than `timeout`.
    func waitUntilRegistered(_ database: some Queryable, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if hasExited { throw BenchError("the worker exited during start-up:\n\(logTail())") }
            let query: Query = "SELECT count(*) AS n FROM offload.workers WHERE pid = \(Int(pid))"
            if try await database.query(query).single(Int.self, "n") > 0 { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchError("the worker did not start within \(timeout):\n\(logTail())")
    }

    /// Stops the worker gracefully (SIGTERM) and waits for it; SIGKILL after `timeout`. Throws unless
    /// it exited with status 0.
    func stop(timeout: Duration = .seconds(30)) async throws {
        send(SIGTERM)
        let status = await waitForExit(timeout: timeout)
        guard let status else {
            send(SIGKILL)
            _ = await waitForExit(timeout: .seconds(5))
            throw BenchError("the worker did not stop within \(timeout) of SIGTERM:\n\(logTail())")
        }
        guard status == 0 else {
            // The wait status: the low 7 bits are the signal that killed it, else the exit code is above.
            let how = status & 0x7f == 0 ? "with status \((status >> 8) & 0xff)" : "on signal \(status & 0x7f)"
            throw BenchError("the worker exited \(how):\n\(logTail())")
        }
    }

    /// Kills the worker at once (clean-up after a failure).
    func killNow() {
        send(SIGKILL)
    }

    private func send(_ signal: Int32) {
        // Checked under the lock so that a pid reused after the reap is never signalled.
        exit.withLock { status in
            if status == nil { _ = kill(pid, signal) }
        }
    }

    /// Polls for the exit status: a reaped child is seen within 10 ms, which is soon enough here.
    private func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exit.withLock({ $0 }) { return status }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return exit.withLock { $0 }
    }

    private func logTail() -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return String(text.suffix(3_000))
    }
}
