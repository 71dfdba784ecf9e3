import ArgumentParser
import PGClient

/// `--database-url`, falling back to `DATABASE_URL`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL or conninfo. Defaults to $DATABASE_URL.")
    var databaseURL: String?

    /// The configuration, or a usage error that says how to provide one.
    func configuration() throws -> ConnectionConfiguration {
        if let databaseURL, !databaseURL.isEmpty { return ConnectionConfiguration(databaseURL) }
        if let configuration = ConnectionConfiguration.fromEnvironment() { return configuration }
        throw ValidationError(
            "no database given: pass --database-url or set DATABASE_URL (e.g. postgres://user@localhost:5432/app); `offload local start` prints a URL for a local PostgreSQL"
        )
    }
}
