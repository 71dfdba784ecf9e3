import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One libpq connection (`PGconn*`), freed with `PQfinish` in `deinit`.
///
/// All calls are synchronous and may block on the network: never call them on Swift's cooperative
/// thread pool. `PGClient.Connection` runs them on a serial executor of its own.
///
/// libpq allows a connection to be used from any thread, but by one thread at a time
/// ("libpq is thread-safe as long as no two threads manipulate the same PGconn object at the same
/// time"). The owner guarantees that by serialising every call on one executor.
public final class PQConnection: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Connects, blocking until the connection is made or fails.
    ///
    /// - Parameters:
    ///   - target: a `postgres://` URL or a `key=value` conninfo string (libpq's `expand_dbname`).
    ///   - defaults: parameters applied *before* `target`, so the target's own values win.
    ///   - overrides: parameters applied *after* `target`, so they win over it. libpq expands only the
    ///     first `dbname`, so a `dbname` here names a database rather than a whole connection string.
    public init(
        target: String, defaults: [(String, String)] = [], overrides: [(String, String)] = []
    ) throws(PQConnectError) {
        let keywords = defaults.map(\.0) + ["dbname"] + overrides.map(\.0)
        let values = defaults.map(\.1) + [target] + overrides.map(\.1)
        let cKeywords = keywords.map { strdup($0) }
        let cValues = values.map { strdup($0) }
        defer {
            for pointer in cKeywords { free(pointer) }
            for pointer in cValues { free(pointer) }
        }
        var keywordPointers = cKeywords.map { UnsafePointer($0) } + [nil]
        var valuePointers = cValues.map { UnsafePointer($0) } + [nil]
        guard let connection = PQconnectdbParams(&keywordPointers, &valuePointers, 1) else {
            throw PQConnectError(message: "out of memory allocating a libpq connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PQConnectError(message: message.trimmingTrailingWhitespace())
        }
        handle = connection
    }

    deinit {
        PQfinish(handle)
    }

    /// Whether libpq considers the connection usable (`PQstatus == CONNECTION_OK`).
    public var isOK: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The most recent error message from libpq, without the trailing newline.
    public var errorMessage: String { String(cString: PQerrorMessage(handle)).trimmingTrailingWhitespace() }

    /// The socket's file descriptor, or -1 when there is none.
    public var socket: Int32 { PQsocket(handle) }

    /// The process id of the server backend serving this connection.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// The server version as an integer, e.g. 150018.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// Whether the connection is inside a transaction block (`PQtransactionStatus`).
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Runs one statement with text-format parameters and text-format results (`PQexecParams`).
    ///
    /// Parameter types are left for the server to infer (OID 0), so SQL casts (`$1::jsonb`) decide them.
    public func execute(_ sql: String, parameters: [String?]) -> PQResult {
        let result = withCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return PQResult(result, connection: self)
    }

    /// Creates the named prepared statement `name` for `sql` (`PQprepare`). Parameter types are left
    /// for the server to infer, as in `execute`.
    public func prepare(_ name: String, sql: String) -> PQResult {
        PQResult(PQprepare(handle, name, sql, 0, nil), connection: self)
    }

    /// Runs the prepared statement `name` with text-format parameters and results (`PQexecPrepared`).
    public func executePrepared(_ name: String, parameters: [String?]) -> PQResult {
        let result = withCStrings(parameters) { values in
            PQexecPrepared(handle, name, Int32(parameters.count), values, nil, nil, 0)
        }
        return PQResult(result, connection: self)
    }

    /// Calls `body` with the values as C strings (NULL for nil), valid for the call only; the array
    /// pointer is nil when there are no values.
    private func withCStrings<T>(
        _ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T
    ) -> T {
        let copies: [UnsafeMutablePointer<CChar>?] = values.map { value in value.map { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        let pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// Runs a script of one or more statements separated by semicolons (`PQexec`), as in migrations.
    /// Returns the last statement's result.
    public func executeScript(_ sql: String) -> PQResult {
        PQResult(PQexec(handle, sql), connection: self)
    }

    /// Reads whatever the server has sent without blocking (`PQconsumeInput`). False means the
    /// connection failed; `errorMessage` says why.
    public func consumeInput() -> Bool { PQconsumeInput(handle) == 1 }

    /// Takes every notification libpq has already read (`PQnotifies`), freeing each one.
    public func takeNotifications() -> [PQNotification] {
        var notifications: [PQNotification] = []
        while let notify = PQnotifies(handle) {
            let pgNotify = notify.pointee
            notifications.append(
                PQNotification(
                    channel: String(cString: pgNotify.relname),
                    payload: String(cString: pgNotify.extra),
                    backendPID: pgNotify.be_pid
                )
            )
            PQfreemem(notify)
        }
        return notifications
    }

    /// Quotes an identifier for SQL text with `PQescapeIdentifier` (doubling quotes, checking encoding).
    public func escapeIdentifier(_ identifier: String) -> String? {
        let utf8Count = identifier.utf8.count
        guard let escaped = PQescapeIdentifier(handle, identifier, utf8Count) else { return nil }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// A handle that can ask the server to cancel this connection's running statement from any thread.
    public func makeCanceller() -> PQCanceller? {
        PQgetCancel(handle).map(PQCanceller.init)
    }
}

/// A notification received through `LISTEN`.
public struct PQNotification: Sendable, Equatable {
    /// The channel name.
    public let channel: String
    /// The payload given to `NOTIFY` / `pg_notify`, empty when none.
    public let payload: String
    /// The backend process that sent it.
    public let backendPID: Int32
}

/// The reason a connection attempt failed, as libpq words it (libpq never includes the password).
public struct PQConnectError: Error, Sendable {
    /// libpq's message, e.g. `connection to server at "127.0.0.1", port 1 failed: Connection refused`.
    public let message: String
}

/// Cancels the running statement of one connection (`PQcancel`).
///
/// `PQcancel` is documented as safe to call from any thread, including a signal handler, so this
/// handle may be shared; `PQfreeCancel` runs in `deinit`.
public final class PQCanceller: @unchecked Sendable {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQfreeCancel(handle)
    }

    /// Asks the server to cancel the current statement. Best effort: the statement may finish first.
    @discardableResult
    public func cancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(handle, &buffer, Int32(buffer.count)) == 1
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var result = self
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }
}
