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
    /// The first value that could not be encoded while the query was built; running the query throws
    /// it rather than send NULL in its place.
    public var encodingError: PGError?
    /// Whether each connection keeps this statement prepared: parsed and planned once, then run with
    /// PostgreSQL's generic plan when that is no worse. Off by default, because a generic plan is
    /// chosen without the binds' values and can be far worse for a statement whose best plan depends
    /// on them (an `unnest` of a bound array of unknown length, say). See `prepared()`.
    public var isPrepared = false

    /// A statement from SQL text taken as it is, with explicit binds. Unsafe: nothing keeps a value
    /// spliced into `sql` from changing the statement. Use it for SQL built from constants and
    /// quoted identifiers (`quoteIdentifier`); for values, interpolate into a `Query` literal instead.
    public init(unsafeSQL sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
        encodingError = stringInterpolation.encodingError
    }

    /// This statement, kept prepared by each connection that runs it (`isPrepared`). For statements
    /// run often and cheaply, where planning is a large share of the time, and whose plan has no
    /// choice to make: one that reads a table whose size changes (a queue!) keeps the plan made for
    /// the size it had when prepared, an empty table's sequential scan included.
    public func prepared() -> Query {
        var query = self
        query.isPrepared = true
        return query
    }

    /// The SQL text only; bind values are never printed.
    public var description: String { sql }

    /// Builds the SQL text and the binds as a literal is interpolated.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []
        var encodingError: PGError?

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Appends a bind placeholder for `value`.
        ///
        /// Encoding failures cannot be thrown from an interpolation: the first one is kept and thrown
        /// when the query runs. (Sending NULL instead once turned an out-of-range `run_at` into "now".)
        public mutating func appendInterpolation(_ value: some PGEncodable) {
            append(value)
        }

        /// Appends a bind placeholder for an optional value (NULL when nil).
        public mutating func appendInterpolation(_ value: (some PGEncodable)?) {
            append(value)
        }

        private mutating func append(_ value: (some PGEncodable)?) {
            do {
                binds.append(try value?.pgText() ?? nil)
            } catch {
                binds.append(nil)
                if encodingError == nil {
                    encodingError =
                        error as? PGError
                        ?? PGError(.encoding, "cannot encode parameter $\(binds.count): \(error)")
                }
            }
            sql += "$\(binds.count)"
        }

        /// Splices raw SQL text. Only for text the program itself wrote, never for input.
        public mutating func appendInterpolation(unsafeSQL text: String) {
            sql += text
        }
    }
}

extension Query {
    /// Throws the error that building the query met, or one for a bind PostgreSQL cannot take.
    ///
    /// libpq passes text parameters as C strings, so a NUL character would silently cut the value short
    /// (`"greet\0evil"` arrived as `"greet"`); PostgreSQL's text types cannot hold NUL anyway.
    func validate() throws {
        if let encodingError { throw encodingError }
        for (index, bind) in binds.enumerated() {
            if let bind, bind.utf8.contains(0) {
                throw PGError(
                    .encoding,
                    "parameter $\(index + 1) contains a NUL character (\\0), which PostgreSQL text cannot store"
                )
            }
        }
    }
}
