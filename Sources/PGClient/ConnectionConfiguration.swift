import Foundation

/// Where and how to connect: a `postgres://` URL or a libpq conninfo string, plus client defaults.
public struct ConnectionConfiguration: Sendable {
    /// The URL or conninfo string, passed to libpq as it is. Never logged: use `redactedTarget`.
    public var target: String
    /// How long a connection attempt may take before it fails. Defaults to 10 seconds.
    /// A `connect_timeout` inside `target` wins.
    public var connectTimeoutSeconds: Int
    /// Reported to the server as `application_name`. Defaults to `offload`.
    public var applicationName: String
    /// A database to use instead of the one `target` names. Defaults to nil (use the target's).
    public var database: String?
    /// How many statements each connection keeps prepared (queries marked `prepared()`, by SQL text),
    /// so that PostgreSQL parses and plans them once per connection, not on every run. Defaults to 64.
    /// Set 0 behind a pooler that cannot carry prepared statements (PgBouncer in transaction mode
    /// before 1.21).
    public var statementCacheCapacity: Int = 64
    /// Run-time parameters each session sets right after connecting (`set_config(name, value, false)`),
    /// in order, e.g. `("lock_timeout", "5s")`. Defaults to none.
    public var sessionParameters: [(name: String, value: String)] = []

    /// Creates a configuration for `target` (URL or conninfo).
    public init(_ target: String, connectTimeoutSeconds: Int = 10, applicationName: String = "offload") {
        self.target = target
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
    }

    /// Reads `DATABASE_URL` from the environment; nil when it is unset or empty.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ConnectionConfiguration? {
        guard let url = environment["DATABASE_URL"], !url.isEmpty else { return nil }
        return ConnectionConfiguration(url)
    }

    /// `target` with any password replaced by `***`, safe for logs and error messages.
    public var redactedTarget: String { Self.redact(target) }

    /// `message` with this configuration's password (and the whole target) replaced by `***`.
    ///
    /// libpq never prints a password it recognised as one, but it does echo what it took for a
    /// database name: a mistyped scheme (`postgress://app:secret@db/app`) came back as
    /// `FATAL: database "postgress://app:secret@db/app" does not exist`.
    public func scrub(_ message: String) -> String {
        var text = message
        if !target.isEmpty, text.contains(target) { text = text.replacingOccurrences(of: target, with: redactedTarget) }
        // Longest first, so that a password is replaced whole before any piece of it.
        let secrets = Self.passwordSpans(in: target).flatMap(\.secrets)
        for secret in Set(secrets).sorted(by: { $0.count > $1.count })
        where secret.count >= 3 || secret.hasSuffix("@") && secret.count >= 2 {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return text
    }

    /// The search path of Offload's own sessions: the system catalog, then the session's own
    /// temporary schema, nothing else. Every Offload object in Offload's SQL is schema-qualified, so
    /// nothing it runs resolves to an operator or function planted in a schema a user can write to
    /// (`public`). See docs/security.md.
    public static let pinnedSearchPath = "pg_catalog, pg_temp"

    /// This configuration with `name` set to `value` in every session it opens (replacing an earlier
    /// value of the same parameter).
    public func setting(_ name: String, to value: String) -> ConnectionConfiguration {
        var copy = self
        copy.sessionParameters.removeAll { $0.name == name }
        copy.sessionParameters.append((name, value))
        return copy
    }

    /// This configuration for Offload's own sessions (worker, maintenance, CLI): the search path pinned
    /// to `pinnedSearchPath`.
    public func pinningSearchPath() -> ConnectionConfiguration {
        setting("search_path", to: Self.pinnedSearchPath)
    }

    /// The same server and credentials, another database.
    public func withDatabase(_ name: String) -> ConnectionConfiguration {
        var copy = self
        copy.database = name
        return copy
    }

    /// The parameters libpq applies after `target`, overriding it.
    var libpqOverrides: [(String, String)] {
        database.map { [("dbname", $0)] } ?? []
    }

    /// The parameters libpq applies before `target`, so the target's own values override them.
    var libpqDefaults: [(String, String)] {
        [
            ("connect_timeout", String(connectTimeoutSeconds)),
            ("application_name", applicationName),
        ]
    }
}
