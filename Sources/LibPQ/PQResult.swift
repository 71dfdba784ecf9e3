import CLibPQ

/// The outcome of one statement (`PGresult*`), freed with `PQclear` in `deinit`.
///
/// Values are copied into Swift strings by the accessors; nothing here outlives the result.
public final class PQResult {
    private let handle: OpaquePointer?
    private let connectionError: String

    init(_ handle: OpaquePointer?, connection: PQConnection) {
        self.handle = handle
        // A nil result means libpq could not even send the statement (e.g. the connection is gone);
        // the reason is then on the connection.
        self.connectionError = handle == nil ? connection.errorMessage : ""
    }

    deinit {
        if let handle { PQclear(handle) }
    }

    /// True for `PGRES_COMMAND_OK`, `PGRES_TUPLES_OK` and `PGRES_EMPTY_QUERY`.
    public var succeeded: Bool {
        guard let handle else { return false }
        let status = PQresultStatus(handle)
        return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY
    }

    /// The number of rows returned.
    public var rowCount: Int { handle.map { Int(PQntuples($0)) } ?? 0 }

    /// The number of columns returned.
    public var columnCount: Int { handle.map { Int(PQnfields($0)) } ?? 0 }

    /// The rows a command affected (`PQcmdTuples`), or nil when the command reports none.
    public var affectedRows: Int? {
        guard let handle, let text = PQcmdTuples(handle) else { return nil }
        return Int(String(cString: text))
    }

    /// The name of column `index`.
    public func columnName(_ index: Int) -> String {
        guard let handle, let name = PQfname(handle, Int32(index)) else { return "" }
        return String(cString: name)
    }

    /// The type OID of column `index`.
    public func columnType(_ index: Int) -> UInt32 {
        handle.map { UInt32(PQftype($0, Int32(index))) } ?? 0
    }

    /// The text value at `row`, `column`, or nil for SQL NULL.
    public func value(row: Int, column: Int) -> String? {
        guard let handle else { return nil }
        if PQgetisnull(handle, Int32(row), Int32(column)) == 1 { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard let bytes = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: length) { pointer in
            String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
        }
    }

    /// The server's error report, when the statement failed.
    public var error: PQServerError? {
        guard !succeeded else { return nil }
        guard let handle else {
            return PQServerError(sqlState: nil, message: connectionError, detail: nil, hint: nil, position: nil)
        }
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(handle, Int32(code)).map { String(cString: $0) }
        }
        let message =
            field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(handle)).trimmingTrailingWhitespace()
        return PQServerError(
            sqlState: field(UInt8(ascii: "C")),
            message: message,
            detail: field(UInt8(ascii: "D")),
            hint: field(UInt8(ascii: "H")),
            position: field(UInt8(ascii: "P")).flatMap { Int($0) }
        )
    }
}

/// The fields of a server error (`PQresultErrorField`), or libpq's own message when there is no server
/// report (then `sqlState` is nil).
public struct PQServerError: Sendable {
    /// The five-character SQLSTATE, e.g. `42601`.
    public let sqlState: String?
    /// The primary message.
    public let message: String
    /// The optional detail line.
    public let detail: String?
    /// The optional hint line.
    public let hint: String?
    /// The 1-based character position of the error in the statement, when the server gives one.
    public let position: Int?
}
