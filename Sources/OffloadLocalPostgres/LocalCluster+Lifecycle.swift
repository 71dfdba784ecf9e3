import Foundation

extension LocalCluster {
    /// What ``start(binaries:timeout:)`` did.
    public struct StartOutcome: Sendable, Equatable {
        /// The URL to connect to.
        public var url: String
        /// The port the server listens on (an already running server keeps its port).
        public var port: Int
        /// Whether initdb created the cluster just now.
        public var created: Bool
        /// Whether the server was already running, so nothing was started.
        public var wasRunning: Bool
    }

    /// What ``status(binaries:)`` found.
    public struct Status: Sendable, Equatable {
        /// Whether the cluster has been created.
        public var isInitialized: Bool
        /// Whether the server is running.
        public var isRunning: Bool
        /// The port it listens on when running, else the configured port.
        public var port: Int
        /// The URL for ``port``.
        public var url: String
    }

    /// Creates the cluster if needed, starts the server and waits until it accepts
    /// connections. Harmless when it already runs.
    ///
    /// - Parameters:
    ///   - binaries: The server programs; found with ``PostgresBinaries/find(environment:)`` when `nil`.
    ///   - timeout: How long to wait for the server to come up. Defaults to 30 seconds.
    public func start(
        binaries: PostgresBinaries? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> StartOutcome {
        let binaries = try await Self.binaries(binaries)
        let account = try await ServerAccount.resolve(dataDirectory: dataDirectory, create: true)
        try await prepareDirectories(for: account)
        if isInitialized, try await isRunning(binaries, account) {
            let actual = recordedPort ?? port
            return StartOutcome(url: url(port: actual), port: actual, created: false, wasRunning: true)
        }
        let created = try await initializeIfNeeded(binaries, account)
        try writeSettings(for: account)
        try await launch(binaries, account, timeout: timeout)
        try await waitUntilAcceptingConnections(binaries, timeout: timeout)
        return StartOutcome(url: url(), port: port, created: created, wasRunning: false)
    }

    /// Stops the server with a fast shutdown (open sessions are disconnected, running
    /// transactions roll back). Harmless when it is not running.
    ///
    /// - Returns: Whether a running server was stopped.
    @discardableResult
    public func stop(binaries: PostgresBinaries? = nil) async throws -> Bool {
        guard isInitialized else { return false }
        let binaries = try await Self.binaries(binaries)
        let account = try await ServerAccount.resolve(dataDirectory: dataDirectory, create: false)
        guard try await isRunning(binaries, account) else { return false }
        let result = try await account.run(
            binaries.pgCtl, ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60"], in: directory)
        guard result.succeeded else {
            throw LocalClusterError(
                .commandFailed, "pg_ctl could not stop the server in \(dataDirectory).",
                detail: result.output)
        }
        return true
    }

    /// Whether the cluster exists and runs, and where to reach it.
    public func status(binaries: PostgresBinaries? = nil) async throws -> Status {
        guard isInitialized else {
            return Status(isInitialized: false, isRunning: false, port: port, url: url())
        }
        let binaries = try await Self.binaries(binaries)
        let account = try await ServerAccount.resolve(dataDirectory: dataDirectory, create: false)
        let running = try await isRunning(binaries, account)
        let actual = running ? (recordedPort ?? port) : port
        return Status(isInitialized: true, isRunning: running, port: actual, url: url(port: actual))
    }

    private static func binaries(_ given: PostgresBinaries?) async throws -> PostgresBinaries {
        if let given { return given }
        return try await PostgresBinaries.find()
    }

    /// Asks `pg_ctl status`: 0 means running, 3 not running, 4 no usable data directory.
    private func isRunning(_ binaries: PostgresBinaries, _ account: ServerAccount) async throws -> Bool {
        let result = try await account.run(binaries.pgCtl, ["status", "-D", dataDirectory], in: directory)
        switch result.status {
        case 0: return true
        case 3, 4: return false
        default:
            throw LocalClusterError(.commandFailed, "pg_ctl status failed for \(dataDirectory).", detail: result.output)
        }
    }

    /// Runs initdb once; returns whether it ran.
    private func initializeIfNeeded(_ binaries: PostgresBinaries, _ account: ServerAccount) async throws -> Bool {
        guard !isInitialized else { return false }
        // Trust authentication is acceptable here only because the server listens on
        // 127.0.0.1 and on a socket inside a 0700 folder: nothing off this machine can
        // connect. Any local user could connect over loopback, so this is a development
        // and test cluster, never a shared or production one.
        let result = try await account.run(
            binaries.initdb,
            ["-D", dataDirectory, "--auth=trust", "--username=\(Self.superuser)", "--encoding=UTF8", "--locale=C"]
                + (isEphemeral ? ["--no-sync"] : []),
            in: directory)
        guard result.succeeded else {
            throw LocalClusterError(
                .commandFailed, "initdb could not create the cluster in \(dataDirectory).",
                detail: result.output)
        }
        return true
    }

    /// Makes postgresql.conf include our settings file; checked on every start so an
    /// interrupted first start still ends up configured.
    private func ensureIncludeLine() throws {
        let path = dataDirectory + "/postgresql.conf"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            !text.contains("include_if_exists = '\(Self.settingsFileName)'")
        else { return }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(Self.includeLine.utf8))
    }

    private func writeSettings(for account: ServerAccount) throws {
        try ensureIncludeLine()
        let path = dataDirectory + "/" + Self.settingsFileName
        do {
            try settings(port: port).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw LocalClusterError(.directoryNotReachable, "Could not write \(path): \(error)")
        }
        try handOver(file: path, to: account)
    }

    private func launch(_ binaries: PostgresBinaries, _ account: ServerAccount, timeout: Duration) async throws {
        // -w waits until the server reports "ready" in postmaster.pid; -l sends its
        // output to the log, which also keeps our output pipe from being held open.
        let seconds = max(1, Int(timeout.components.seconds))
        let start = try Subprocess.closingInheritedDescriptors(
            binaries.pgCtl, ["start", "-D", dataDirectory, "-l", logFile, "-w", "-t", "\(seconds)"])
        let result = try await account.run(start.executable, start.arguments, in: directory)
        guard result.succeeded else {
            throw LocalClusterError(
                .startFailed, "PostgreSQL did not start (pg_ctl exited with status \(result.status)).",
                detail: failureDetail(result.output))
        }
    }

    /// Polls `pg_isready` over TCP, the way clients will connect, until it answers.
    private func waitUntilAcceptingConnections(_ binaries: PostgresBinaries, timeout: Duration) async throws {
        guard let isReady = binaries.pgIsReady else { return }  // pg_ctl -w already waited
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let arguments = ["-q", "-h", Self.host, "-p", "\(port)", "-U", Self.superuser, "-d", Self.database, "-t", "2"]
        while true {
            let result = try await Subprocess.run(isReady, arguments, environment: ServerAccount.cleanEnvironment())
            if result.succeeded { return }
            // 3 = pg_isready could not even try (bad arguments); waiting will not help.
            if result.status == 3 || clock.now >= deadline {
                throw LocalClusterError(
                    .startFailed, "PostgreSQL started but does not accept connections on \(url()).",
                    detail: failureDetail(result.output))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A tool's own words, then the end of the server log, which usually says why.
    private func failureDetail(_ output: String) -> String {
        var parts = [output.trimmingCharacters(in: .whitespacesAndNewlines)]
        if let tail = logTail() { parts.append("Last lines of \(logFile):\n\(tail)") }
        return parts.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    /// The last `lines` lines of the server log, if there is one.
    func logTail(lines: Int = 25) -> String? {
        guard let handle = FileHandle(forReadingAtPath: logFile) else { return nil }
        defer { try? handle.close() }
        // The log grows across starts; only its end matters.
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 65_536 ? size - 65_536 : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        return Self.tail(of: String(decoding: data, as: UTF8.self), lines: lines)
    }

    /// The last `count` non-empty-trailing lines of `text`.
    static func tail(of text: String, lines count: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let trimmed = lines.last == "" ? lines.dropLast() : lines[...]
        return trimmed.suffix(count).joined(separator: "\n")
    }
}
