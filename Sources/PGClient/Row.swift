/// The column names of a result, shared by its rows.
public final class Columns: Sendable {
    /// Column names in result order.
    public let names: [String]
    private let indexByName: [String: Int]

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        indexByName = index
    }

    /// The position of the first column called `name`.
    public func index(of name: String) -> Int? { indexByName[name] }
}

/// One row of a result, as PostgreSQL's text values; decode columns with `decode(_:_:)`.
public struct Row: Sendable {
    /// The result's columns.
    public let columns: Columns
    /// The raw text values, nil for NULL.
    public let values: [String?]

    /// The raw text of `column`, nil for NULL. Throws when there is no such column.
    public func text(_ column: String) throws -> String? {
        guard let index = columns.index(of: column) else {
            throw PGError(.decoding, "no column \"\(column)\" in the result", column: column)
        }
        return values[index]
    }

    /// Decodes `column` as `T`. NULL decodes only into an optional; a wrong type or a missing
    /// column throws a `PGError` naming the column.
    public func decode<T: PGDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let index = columns.index(of: column) else {
            throw PGError(.decoding, "no column \"\(column)\" in the result", column: column)
        }
        return try decode(T.self, at: index)
    }

    /// Decodes column number `index` (0-based) as `T`. Find the index once per result with
    /// `columns.index(of:)` to decode many rows without looking names up again.
    public func decode<T: PGDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        guard index >= 0, index < values.count else {
            throw PGError(.decoding, "no column at position \(index) (the result has \(values.count))")
        }
        let column = columns.names[index]
        guard let text = values[index] else {
            if let optional = T.self as? any PGNullable.Type { return optional.pgNull as! T }
            throw PGError(.decoding, "column \"\(column)\" is NULL; decode it as \(T.self)?", column: column)
        }
        do {
            return try T(pgText: text)
        } catch var error as PGError {
            error.column = column
            error.message = "column \"\(column)\": \(error.message)"
            throw error
        }
    }

    /// Decodes a `json`/`jsonb` column into a `Decodable` value.
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let text = try text(column) else {
            throw PGError(.decoding, "column \"\(column)\" is NULL", column: column)
        }
        do {
            return try PGJSON.decode(T.self, from: text)
        } catch var error as PGError {
            error.column = column
            error.message = "column \"\(column)\": \(error.message)"
            throw error
        }
    }
}

/// The rows a statement returned and the count of rows it affected.
public struct QueryResult: Sendable {
    /// The result's columns.
    public let columns: Columns
    /// The rows, in order.
    public let rows: [Row]
    /// Rows inserted, updated or deleted, when the command reports it.
    public let affectedRows: Int

    /// The first row, if any.
    public var first: Row? { rows.first }

    /// Decodes column `column` of the first row, throwing when there is no row.
    public func single<T: PGDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let row = rows.first else { throw PGError(.decoding, "expected a row, got none", column: column) }
        return try row.decode(T.self, column)
    }
}
