import Foundation

/// The outcome of one finished child process.
package struct SubprocessResult: Sendable {
    /// The exit status (or the signal number if the process was killed).
    package var status: Int32
    /// Standard output and standard error, interleaved as written.
    package var output: String

    package var succeeded: Bool { status == 0 }
}

/// Runs helper programs (initdb, pg_ctl, …) with Foundation's `Process`.
package enum Subprocess {
    /// Runs `executable` to completion and captures its output.
    ///
    /// The blocking read and wait happen on a Dispatch thread, not on Swift's
    /// cooperative pool, which has only as many threads as cores.
    package static func run(
        _ executable: String,
        _ arguments: [String],
        in directory: String? = nil,
        environment: [String: String]? = nil
    ) async throws -> SubprocessResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try runBlocking(executable, arguments, in: directory, environment: environment)
                    })
            }
        }
    }

    private static func runBlocking(
        _ executable: String,
        _ arguments: [String],
        in directory: String?,
        environment: [String: String]?
    ) throws -> SubprocessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw LocalClusterError(.commandFailed, "Could not run \(executable): \(error)")
        }
        // Read to EOF before waiting: a child that fills the pipe would otherwise block forever.
        // (pg_ctl start is safe here because `-l` sends the server's own output to its log file.)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return SubprocessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// The full path of `name` found on `searchPath` (a `PATH`-style list), if executable.
    package static func which(_ name: String, searchPath: String?) -> String? {
        for directory in (searchPath ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Wraps a command that leaves a daemon behind (`pg_ctl start`) so the daemon
    /// inherits no descriptor above standard error.
    ///
    /// Why: on Linux, Foundation's `Process` learns that a child exited when a socket
    /// it hands to the child closes (swift-corelibs-foundation Process.swift,
    /// `taskSocketPair`). The postmaster would inherit that socket through pg_ctl and
    /// keep it open, so `waitUntilExit()` would wait until the server stops. Bash,
    /// because POSIX sh can only close descriptors 0–9. Darwin's Foundation spawns
    /// with close-on-exec by default and needs no wrapper.
    static func closingInheritedDescriptors(
        _ executable: String, _ arguments: [String]
    ) throws -> (executable: String, arguments: [String]) {
        #if os(Linux)
            let searchPath = "/bin:/usr/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
            guard let bash = which("bash", searchPath: searchPath) else {
                throw LocalClusterError(.commandFailed, "bash is needed to start PostgreSQL in the background.")
            }
            let script = #"""
                for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done
                exec "$@"
                """#
            return (bash, ["-c", script, "bash", executable] + arguments)
        #else
            return (executable, arguments)
        #endif
    }

    /// Quotes `word` for a POSIX shell: `it's` becomes `'it'\''s'`.
    static func shellQuote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
