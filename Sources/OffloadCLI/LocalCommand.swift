import ArgumentParser
import Foundation
import OffloadLocalPostgres

/// `offload local`: a project-local PostgreSQL for development, tests and demos.
public struct LocalCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Run a project-local PostgreSQL for development, tests and demos.",
        discussion: """
            Creates a PostgreSQL cluster in a folder of this project (default .offload/postgres), \
            runs it on 127.0.0.1 and a private Unix socket, and prints its URL. Nothing to configure: \
            authentication is "trust", so only use it on a machine you control.

            When run as root, the server runs as the 'postgres' user (or a system user 'offload', \
            created on first use), because PostgreSQL refuses to run as root. When that user cannot \
            reach the folder (root's home is mode 700), the cluster lives in a folder of its own under \
            /var/tmp named after the one asked for; every subcommand finds it there.

            Programs are found via $OFFLOAD_PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/*/bin \
            or PATH. Example:
              export DATABASE_URL=$(offload local start)
            """,
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self, Destroy.self]
    )

    public init() {}
}

/// The flags every `offload local` subcommand shares.
struct LocalClusterOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The cluster folder. Defaults to $OFFLOAD_LOCAL_DIR, else .offload/postgres in the current directory.",
            valueName: "path"))
    var dir: String?

    @Option(help: "The TCP port on 127.0.0.1. Defaults to $OFFLOAD_LOCAL_PORT, else 54329.")
    var port: Int?

    /// The cluster these options name, where it really lives (see `LocalCluster.placed()`).
    func cluster() async throws -> LocalCluster {
        try await LocalCluster.resolve(directory: dir, port: port).placed()
    }
}

extension LocalCommand {
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the cluster if needed, start it, and print its URL.",
            discussion: """
                Waits until the server accepts connections. Harmless when it already runs. \
                Only the URL goes to standard output, so `DATABASE_URL=$(offload local start)` works.
                """)

        @OptionGroup var options: LocalClusterOptions

        @Option(help: "Seconds to wait for the server to accept connections.")
        var timeout: Int = 30

        func validate() throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be at least 1 second.") }
        }

        func run() async throws {
            let cluster = try await options.cluster()
            if let requested = cluster.requestedDirectory {
                printError(
                    "The server's user cannot reach \(requested); the cluster lives in \(cluster.directory) instead")
            }
            let outcome = try await cluster.start(timeout: .seconds(timeout))
            if outcome.created { printError("Created a PostgreSQL cluster in \(cluster.dataDirectory)") }
            if outcome.wasRunning {
                printError("Already running (log: \(cluster.logFile))")
                if outcome.port != cluster.port {
                    printError("Note: it runs on port \(outcome.port), not \(cluster.port); stop it to change ports.")
                }
            } else {
                printError("Started PostgreSQL (log: \(cluster.logFile))")
            }
            print(outcome.url)
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the server (fast shutdown). Harmless when it is not running.",
            discussion: "Open sessions are disconnected and their transactions rolled back. The data is kept.")

        @OptionGroup var options: LocalClusterOptions

        func run() async throws {
            let cluster = try await options.cluster()
            let stopped = try await cluster.stop()
            printError(stopped ? "Stopped PostgreSQL in \(cluster.dataDirectory)" : "Not running.")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the server runs, its URL and its folder.",
            discussion: "Exits with status 0 when running and 3 when not (as pg_ctl status does).")

        @OptionGroup var options: LocalClusterOptions

        func run() async throws {
            let cluster = try await options.cluster()
            let status = try await cluster.status()
            let state = status.isRunning ? "running" : status.isInitialized ? "stopped" : "not created"
            print(
                """
                status:    \(state)
                url:       \(status.url)
                data dir:  \(cluster.dataDirectory)
                log:       \(cluster.logFile)
                """)
            if !status.isRunning { throw ExitCode(3) }
        }
    }

    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the server and delete the cluster, data included.",
            discussion: "Deletes only a folder that holds a cluster. Harmless when there is none.")

        @OptionGroup var options: LocalClusterOptions

        func run() async throws {
            let cluster = try await options.cluster()
            let deleted = try await cluster.destroy()
            printError(deleted ? "Deleted the cluster in \(cluster.directory)" : "No cluster in \(cluster.directory).")
        }
    }

    struct URLCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url",
            abstract: "Print the cluster's URL only (whether or not it runs).")

        @OptionGroup var options: LocalClusterOptions

        func run() async throws {
            let cluster = try await options.cluster()
            // A running server's postmaster.pid knows its real port; no programs needed.
            print(cluster.url(port: cluster.recordedPort))
        }
    }
}

/// Progress goes to standard error so standard output carries only results.
private func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
