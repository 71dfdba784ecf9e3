import ArgumentParser
import Foundation
import Logging
import Offload
import PGClient

/// `--database-url`, falling back to `DATABASE_URL`.
package struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp("PostgreSQL URL or conninfo. Defaults to $DATABASE_URL.", valueName: "url"))
    var databaseURL: String?

    package init() {}

    /// Without a database there is nothing to do: a usage error, with the command's own usage.
    /// (A `ValidationError` thrown later, from `run()`, would print the root command's usage instead.)
    package func validate() throws {
        _ = try configuration()
    }

    /// The configuration, or a usage error that says how to provide one.
    package func configuration() throws -> ConnectionConfiguration {
        if let databaseURL, !databaseURL.isEmpty { return ConnectionConfiguration(databaseURL) }
        if let configuration = ConnectionConfiguration.fromEnvironment() { return configuration }
        throw ValidationError(
            "no database given: pass --database-url or set DATABASE_URL (e.g. postgres://user@localhost:5432/app); `offload local start` prints a URL for a local PostgreSQL"
        )
    }

    /// Where the URL came from, for messages.
    private var source: String {
        if let databaseURL, !databaseURL.isEmpty { return "--database-url" }
        return "DATABASE_URL"
    }

    /// A client on a small pool, after checking that the server answers and the schema is current
    /// (else an error that says to run `offload migrate`). Its sessions pin the search path, so no
    /// command run by an operator resolves an operator or function an app login planted
    /// (docs/security.md).
    func offload() async throws -> Offload {
        let configuration = try configuration().pinningSearchPath()
        try await checked(configuration) {
            try await Migrator(logger: Self.quietLogger).requireCurrent(configuration)
        }
        let pool = ConnectionPool(configuration, maxConnections: 2, logger: Self.quietLogger)
        return Offload(pool: pool, logger: Self.quietLogger)
    }

    /// Runs `body`, turning a failure to connect into a message that names the server (password
    /// redacted), where its address came from, and what to check.
    func checked<T>(_ configuration: ConnectionConfiguration, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PGError where error.code == .connectionFailed {
            throw CLIError(Self.connectionMessage(error, target: configuration.redactedTarget, source: source))
        }
    }

    /// `cannot connect to PostgreSQL at <target> (from <source>): <libpq's reason>`, plus a hint.
    ///
    /// libpq reports connection failures as text only (there is no SQLSTATE before a session exists),
    /// so the hint is chosen by looking for libpq's well-known phrases; without a match there is none.
    static func connectionMessage(_ error: PGError, target: String, source: String) -> String {
        var reason = error.message
        for prefix in ["cannot connect to PostgreSQL: ", "session setup failed: "] where reason.hasPrefix(prefix) {
            reason.removeFirst(prefix.count)
        }
        let lines = reason.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        var message =
            "cannot connect to PostgreSQL at \(target) (from \(source)):\n  " + lines.joined(separator: "\n  ")
        let hints: [(phrase: String, hint: String)] = [
            ("password authentication failed", "check the user name and password in \(source)"),
            (
                "no password supplied",
                "the server wants a password: add it to \(source) (postgres://user:password@host/db) or to ~/.pgpass"
            ),
            ("Connection refused", "is PostgreSQL running there? `offload local start` runs one for development"),
            ("does not exist", "check the database and user names in \(source)"),
            ("timeout expired", "the server did not answer in time: check the host, port and firewall"),
            ("could not translate host name", "check the host name in \(source)"),
        ]
        if let hint = hints.first(where: { reason.contains($0.phrase) })?.hint {
            message += "\nhint: \(hint)"
        }
        return message
    }

    /// Library logs would mix with command output; commands report what matters themselves.
    static var quietLogger: Logger {
        var logger = Logger(label: "offload.cli")
        logger.logLevel = .error
        return logger
    }
}
