import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a child process ended.
enum ChildExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signalled(let signal): return signal == SIGKILL ? "SIGKILL" : "signal \(signal)"
        }
    }

    /// Decodes a `waitpid` status (the `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` macros, which Swift does
    /// not import).
    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signalled(status & 0x7f)
        }
    }
}

/// A process we started with `posix_spawn`, whose output goes to a log file, reaped by a thread of its
/// own so that its exit status is known exactly (and no zombie is left). The bench, the chaos run and
/// the process tests start their `offload fixture-worker` processes with it.
///
/// Not Foundation's `Process`: we need the pid at once, `SIGKILL`, and exit statuses of killed
/// children, without `Process`'s run-loop plumbing.
final class ChildProcess: Sendable {
    let pid: pid_t
    let logFile: String
    private let state = Mutex<(status: ChildExitStatus?, waiters: [CheckedContinuation<ChildExitStatus, Never>])>(
        (nil, []))

    private init(pid: pid_t, logFile: String) {
        self.pid = pid
        self.logFile = logFile
    }

    /// Starts `executable` with `arguments` and exactly `environment` (defaults to ours); stdin is
    /// /dev/null, stdout and stderr are appended to `logFile`.
    static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logFile: String
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        let child = ChildProcess(pid: pid, logFile: logFile)
        // A thread, not a task: waitpid blocks, and the cooperative pool must never block.
        let reaper = Thread { [child] in child.reap() }
        reaper.name = "offload.reaper.\(pid)"
        reaper.start()
        return child
    }

    private func reap() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { break }
        }
        let exit = ChildExitStatus(waitStatus: status)
        let waiters = state.withLock { state in
            state.status = exit
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: exit) }
    }

    /// The exit status once the process has ended, else nil.
    var exitStatus: ChildExitStatus? { state.withLock { $0.status } }

    /// Sends `signal` (ignored when the process has already been reaped, so a reused pid is safe).
    func send(_ signal: Int32) {
        state.withLock { state in
            if state.status == nil { _ = kill(pid, signal) }
        }
    }

    /// Sends SIGKILL and returns at once (clean-up after a failure); `waitForExit()` waits for the end.
    func killNow() {
        send(SIGKILL)
    }

    /// Waits until the process has ended.
    func waitForExit() async -> ChildExitStatus {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> ChildExitStatus? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Waits until the process has ended or `timeout` passed; nil on timeout.
    func waitForExit(timeout: Duration) async -> ChildExitStatus? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus
    }

    /// Stops the process gracefully: SIGTERM, then waits; SIGKILL if it is still there after
    /// `timeout`. Returns how it ended (`.signalled(SIGKILL)` tells that it had to be killed).
    func terminate(timeout: Duration) async -> ChildExitStatus {
        send(SIGTERM)
        if let status = await waitForExit(timeout: timeout) { return status }
        send(SIGKILL)
        return await waitForExit()
    }

    /// The last `characters` of the process's log, for error messages.
    func logTail(_ characters: Int = 3_000) -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return String(text.suffix(characters))
    }
}

/// `posix_spawn` could not start a program (missing, not executable, no more processes).
struct SpawnError: Error, CustomStringConvertible {
    let description: String
}
