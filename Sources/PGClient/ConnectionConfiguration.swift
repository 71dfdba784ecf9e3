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

    /// Replaces the password in a URL (`postgres://user:secret@host`) or conninfo (`password=secret`).
    public static func redact(_ target: String) -> String {
        var text = target
        // URL form: scheme://user:password@host
        if let schemeEnd = text.range(of: "://") {
            let authorityStart = schemeEnd.upperBound
            let authorityEnd = text[authorityStart...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
            if let at = text[authorityStart..<authorityEnd].lastIndex(of: "@"),
               let colon = text[authorityStart..<at].firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
        }
        // password=… as a conninfo keyword or a URL query parameter, quoted or not.
        let pattern = #"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)"#
        if let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) {
            let range = NSRange(text.startIndex..., in: text)
            text = regex.stringByReplacingMatches(in: text, range: range, withTemplate: "$1***")
        }
        return text
    }

    /// `message` with this configuration's password (and the whole target) replaced by `***`.
    ///
    /// libpq never prints a password it recognised as one, but it does echo what it took for a
    /// database name: a mistyped scheme (`postgress://app:secret@db/app`) came back as
    /// `FATAL: database "postgress://app:secret@db/app" does not exist`.
    public func scrub(_ message: String) -> String {
        var text = message
        if !target.isEmpty, text.contains(target) { text = text.replacingOccurrences(of: target, with: redactedTarget) }
        for password in passwords where password.count >= 3 {
            text = text.replacingOccurrences(of: password, with: "***")
        }
        return text
    }

    /// The passwords `target` contains, as written and percent-decoded.
    var passwords: [String] {
        var found: [String] = []
        if let schemeEnd = target.range(of: "://") {
            let authorityEnd = target[schemeEnd.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? target.endIndex
            let authority = target[schemeEnd.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                let password = String(authority[authority.index(after: colon)..<at])
                found.append(password)
                if let decoded = password.removingPercentEncoding, decoded != password { found.append(decoded) }
            }
        }
        let pattern = #"password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]*)"#
        if let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) {
            for match in regex.matches(in: target, range: NSRange(target.startIndex..., in: target)) {
                guard let range = Range(match.range(at: 1), in: target) else { continue }
                var value = String(target[range])
                if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                found.append(value)
                if let decoded = value.removingPercentEncoding, decoded != value { found.append(decoded) }
            }
        }
        return found.filter { !$0.isEmpty }
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
