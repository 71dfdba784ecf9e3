/// A SQL statement with its bind values. Interpolated values become `$1, $2, …` and travel
/// separately from the SQL text, so they can never change the statement.
///
/// ```swift
/// let query: Query = "SELECT id FROM offload.jobs WHERE queue = \(queue) AND priority < \(limit)"
/// ```
/// Text that must be spliced into the SQL needs the explicit `\(unsafeSQL: …)`.
public struct Query: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text with `$n` placeholders.
    public var sql: String
    /// The values for `$1…$n` in PostgreSQL's text format; nil is SQL NULL.
    public var binds: [String?]

    /// A statement with explicit binds, for SQL kept in named constants.
    public init(sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
    }

    /// A statement built from a constant SQL text and encodable values for `$1…$n`.
    public init(_ sql: String, _ values: (any PGEncodable)?...) throws {
        self.sql = sql
        self.binds = try values.map { try $0?.pgText() }
    }

    public init(stringLiteral value: String) {
        self.init(sql: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(sql: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// The SQL text only; bind values are never printed.
    public var description: String { sql }

    /// Builds the SQL text and the binds as a literal is interpolated.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Appends a bind placeholder for `value`.
        ///
        /// Encoding failures cannot be thrown from an interpolation, so values whose encoding can fail
        /// (`PGJSON`) encode eagerly when created.
        public mutating func appendInterpolation(_ value: some PGEncodable) {
            binds.append(value.pgTextOrNil)
            sql += "$\(binds.count)"
        }

        /// Appends a bind placeholder for an optional value (NULL when nil).
        public mutating func appendInterpolation(_ value: (some PGEncodable)?) {
            binds.append(value?.pgTextOrNil ?? nil)
            sql += "$\(binds.count)"
        }

        /// Splices raw SQL text. Only for text the program itself wrote, never for input.
        public mutating func appendInterpolation(unsafeSQL text: String) {
            sql += text
        }
    }
}

extension PGEncodable {
    var pgTextOrNil: String? { try? pgText() }
}
