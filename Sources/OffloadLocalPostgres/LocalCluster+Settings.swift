import Foundation

extension LocalCluster {
    /// The file, inside the data directory, holding our server settings.
    /// initdb's postgresql.conf includes it; we rewrite it on every start so a
    /// new `--port` or a moved folder takes effect.
    static let settingsFileName = "offload.conf"

    /// The line appended once to postgresql.conf. It comes last, so our values win
    /// over initdb's; `ALTER SYSTEM` (postgresql.auto.conf) still wins over ours.
    static let includeLine = "\n# Added by `offload local`.\ninclude_if_exists = '\(settingsFileName)'\n"

    /// The longest Unix socket path the OS accepts (`sizeof(sun_path) - 1`).
    #if os(Linux)
        static let maximumSocketPathLength = 107
    #else
        static let maximumSocketPathLength = 103
    #endif

    /// Whether the socket path for `port` fits in a `sockaddr_un`.
    func socketPathFits(port: Int) -> Bool {
        "\(socketDirectory)/.s.PGSQL.\(port)".utf8.count <= Self.maximumSocketPathLength
    }

    /// The contents of ``settingsFileName`` for serving on `port`.
    ///
    /// Durability settings (fsync, synchronous_commit, full_page_writes) keep their
    /// defaults on purpose: benchmarks against this cluster must pay the same
    /// commit cost as production does.
    func settings(port: Int) -> String {
        // The socket lives in our own folder: the compiled-in default (/var/run/postgresql
        // on Debian) is not writable by a normal user. A path too long for a socket would
        // stop the server, so then we serve TCP only; the URL uses TCP anyway.
        let socketDirectories = socketPathFits(port: port) ? socketDirectory : ""
        return """
            # Written by `offload local start` on every start; edits here are overwritten.
            # Put your own settings in postgresql.conf before the include line, or use ALTER SYSTEM.
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = \(Self.quoted(socketDirectories))
            # Many workers, each with its app pool, its own 3 connections, a LISTEN and a maintenance
            # connection; and the test suites, which run in parallel with pools of their own (300 was
            # reached at the peak of `make test`).
            max_connections = 1000
            shared_buffers = 128MB
            # Queue tables churn: fewer forced checkpoints during long benchmarks.
            max_wal_size = 2GB
            # Make the log useful when a test or a start fails.
            log_line_prefix = '%m [%p] %q%u@%d '
            log_lock_waits = on

            """
    }

    /// A PostgreSQL configuration string literal: single quotes, doubled inside.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
