import ArgumentParser
import Logging
import PGClient

/// `--database-url`, falling back to `DATABASE_URL`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL. Defaults to $DATABASE_URL.")
    var databaseURL: String?

    func configuration(applicationName: String) throws -> ConnectionConfiguration {
        var configuration: ConnectionConfiguration
        if let databaseURL, !databaseURL.isEmpty {
            configuration = ConnectionConfiguration(databaseURL)
        } else if let fromEnvironment = ConnectionConfiguration.fromEnvironment() {
            configuration = fromEnvironment
        } else {
            throw ValidationError(
                "no database given: set DATABASE_URL or pass --database-url (`offload local start` prints a URL)"
            )
        }
        configuration.applicationName = applicationName
        return configuration
    }
}

/// `--log-level`.
struct LogOptions: ParsableArguments {
    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}
