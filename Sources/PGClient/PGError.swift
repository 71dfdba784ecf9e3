/// An error from the PostgreSQL client: what went wrong, with the server's fields when there are any.
///
/// `description` stays terse and never contains SQL text, parameter values or passwords. The server's
/// DETAIL line of an integrity-constraint violation (SQLSTATE class 23) stays out of it too: it echoes
/// values (`Key (unique_key)=(…) already exists`, the failing row), which would otherwise reach logs
/// and the jobs' `errors` column. Other DETAIL lines explain (`\u0000 cannot be converted to text`)
/// and stay. `detail` always has it.
public struct PGError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: match known codes, treat others generically.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// Connecting failed (unreachable server, bad credentials, timeout).
        public static let connectionFailed = Code(name: "connectionFailed")
        /// The connection broke while in use.
        public static let connectionLost = Code(name: "connectionLost")
        /// The server rejected a statement; `sqlState` says why.
        public static let server = Code(name: "server")
        /// No pooled connection became free within the pool's acquire timeout.
        public static let poolTimeout = Code(name: "poolTimeout")
        /// The pool was shut down.
        public static let poolClosed = Code(name: "poolClosed")
        /// A value could not be decoded into the requested Swift type, or a column is missing.
        public static let decoding = Code(name: "decoding")
        /// A value could not be encoded for PostgreSQL.
        public static let encoding = Code(name: "encoding")
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The SQLSTATE reported by the server, when there is one.
    public var sqlState: SQLState?
    /// The primary message (the server's, or ours).
    public var message: String
    /// The server's detail line. Part of `description` unless it may quote data (`echoesData`).
    public var detail: String?
    /// The server's hint line.
    public var hint: String?
    /// The column a decoding error concerns.
    public var column: String?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, sqlState: SQLState? = nil, detail: String? = nil,
        hint: String? = nil, column: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.column = column
    }

    /// Whether the server's DETAIL may quote stored values: integrity-constraint violations (class 23)
    /// name the key or row that failed.
    public var echoesData: Bool { sqlState?.errorClass == "23" }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState.rawValue))" }
        if let detail, !echoesData { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        return text
    }
}

/// A five-character SQLSTATE error code, matched by value (never by message text).
public struct SQLState: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The two-character class, e.g. `08` for connection exceptions.
    public var errorClass: String { String(rawValue.prefix(2)) }

    public static let syntaxError = SQLState("42601")
    public static let undefinedTable = SQLState("42P01")
    public static let undefinedFunction = SQLState("42883")
    public static let undefinedColumn = SQLState("42703")
    public static let invalidSchemaName = SQLState("3F000")
    public static let uniqueViolation = SQLState("23505")
    public static let checkViolation = SQLState("23514")
    public static let notNullViolation = SQLState("23502")
    public static let invalidParameterValue = SQLState("22023")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let queryCanceled = SQLState("57014")
    public static let lockNotAvailable = SQLState("55P03")
    public static let adminShutdown = SQLState("57P01")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let insufficientPrivilege = SQLState("42501")
    public static let invalidPassword = SQLState("28P01")
    public static let invalidAuthorization = SQLState("28000")
    public static let duplicateDatabase = SQLState("42P04")
    public static let duplicateObject = SQLState("42710")
    public static let raiseException = SQLState("P0001")
    public static let invalidSQLStatementName = SQLState("26000")
    public static let featureNotSupported = SQLState("0A000")
}
