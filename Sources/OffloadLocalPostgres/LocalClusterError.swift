import Foundation

/// Why managing the project-local PostgreSQL cluster failed.
///
/// Match on ``code``; ``message`` is for people and may change. ``detail`` carries
/// supporting text such as the tail of the server log or a command's output.
public struct LocalClusterError: Error, CustomStringConvertible, Sendable {
    /// A stable, extensible category of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ description: String) { self.description = description }

        /// `initdb`/`pg_ctl` could not be found; the message says what to install.
        public static let serverBinariesNotFound = Code("serverBinariesNotFound")
        /// The cluster folder cannot be created or reached by the server's user.
        public static let directoryNotReachable = Code("directoryNotReachable")
        /// No unprivileged user could be found or created to run the server as.
        public static let serverUserUnavailable = Code("serverUserUnavailable")
        /// A flag or environment variable has an unusable value.
        public static let invalidSetting = Code("invalidSetting")
        /// A helper program (initdb, pg_ctl, …) failed.
        public static let commandFailed = Code("commandFailed")
        /// The server did not start or did not accept connections in time.
        public static let startFailed = Code("startFailed")
    }

    /// The category of failure.
    public var code: Code
    /// What went wrong and, where we know, what to do about it.
    public var message: String
    /// Supporting text (log tail, command output), shown after the message.
    public var detail: String?

    /// Creates an error; `detail` is trimmed and dropped when empty.
    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        let trimmed = detail?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.detail = (trimmed?.isEmpty ?? true) ? nil : trimmed
    }

    public var description: String {
        guard let detail else { return message }
        return message + "\n" + detail
    }
}
