import Foundation

/// A project-local PostgreSQL cluster for development, tests and demos.
///
/// Everything lives in one folder (``directory``):
/// ```
/// data/           the cluster (PGDATA), created once by initdb
/// run/            the server's Unix socket, private to the cluster
/// postgres.log    the server log
/// ```
/// The server listens on 127.0.0.1 only, on ``port``; clients use ``url``.
/// Lifecycle: ``start(binaries:timeout:)``, ``stop(binaries:)``, ``status(binaries:)``.
public struct LocalCluster: Sendable, Equatable {
    /// The folder used when neither `--dir` nor `OFFLOAD_LOCAL_DIR` is given,
    /// relative to the current directory.
    public static let defaultDirectory = ".offload/postgres"
    /// The port used when neither `--port` nor `OFFLOAD_LOCAL_PORT` is given.
    /// Not 5432, so it never collides with a system PostgreSQL.
    public static let defaultPort = 54329
    /// The superuser that initdb creates and the URL names.
    public static let superuser = "postgres"
    /// The database the URL names.
    public static let database = "postgres"
    /// The only address the server listens on.
    public static let host = "127.0.0.1"

    /// The absolute path of the cluster folder.
    public var directory: String
    /// The TCP port to start the server on.
    public var port: Int
    /// A cluster deleted after use (tests): created with `initdb --no-sync`, which takes a quarter of
    /// the time; an OS crash could corrupt it, which does not matter for it. Defaults to false.
    public var isEphemeral = false
    /// The folder that was asked for, when the cluster lives elsewhere because the server's user
    /// cannot reach it (see `placed()`); nil when it lives where it was asked to.
    public var requestedDirectory: String?

    /// A cluster in `directory` (made absolute against the current directory) on `port`.
    public init(directory: String, port: Int) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.port = port
    }

    /// Resolves the folder and port: an explicit value wins, then the environment
    /// (`OFFLOAD_LOCAL_DIR`, `OFFLOAD_LOCAL_PORT`), then the defaults.
    /// A relative folder is taken relative to `currentDirectory`.
    public static func resolve(
        directory: String? = nil,
        port: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> LocalCluster {
        let chosenDirectory = directory ?? environment["OFFLOAD_LOCAL_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        var chosenPort = port ?? defaultPort
        if port == nil, let text = environment["OFFLOAD_LOCAL_PORT"], !text.isEmpty {
            guard let parsed = Int(text) else {
                throw LocalClusterError(.invalidSetting, "OFFLOAD_LOCAL_PORT=\(text) is not a port number.")
            }
            chosenPort = parsed
        }
        guard (1...65535).contains(chosenPort) else {
            throw LocalClusterError(.invalidSetting, "Port \(chosenPort) is outside 1…65535.")
        }
        let base = URL(fileURLWithPath: currentDirectory, isDirectory: true)
        let folder = URL(fileURLWithPath: chosenDirectory ?? defaultDirectory, relativeTo: base)
        return LocalCluster(directory: folder.path, port: chosenPort)
    }

    /// The cluster's data directory (PGDATA).
    public var dataDirectory: String { directory + "/data" }
    /// The folder holding the server's Unix socket.
    public var socketDirectory: String { directory + "/run" }
    /// The server log file.
    public var logFile: String { directory + "/postgres.log" }

    /// The connection URL for `port` (defaults to ``port``),
    /// e.g. `postgresql://postgres@127.0.0.1:54329/postgres`.
    public func url(port: Int? = nil) -> String {
        "postgresql://\(Self.superuser)@\(Self.host):\(port ?? self.port)/\(Self.database)"
    }

    /// Whether initdb has already created the cluster.
    var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION")
    }

    /// The port recorded by the server in `postmaster.pid` (line 4), if there is one.
    /// This is the truth while the server runs, whatever `--port` says now.
    public var recordedPort: Int? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else {
            return nil
        }
        return Self.port(fromPostmasterPID: text)
    }

    /// Line 4 of a `postmaster.pid` file is the port the server listens on.
    static func port(fromPostmasterPID text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4 else { return nil }
        return Int(lines[3].trimmingCharacters(in: .whitespaces))
    }
}
