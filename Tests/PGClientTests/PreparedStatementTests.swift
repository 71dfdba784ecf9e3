import PGClient
import Testing

@Suite("Prepared statements")
struct PreparedStatementTests {
    /// The statements this session has prepared, by SQL text. Not marked prepared itself.
    private func prepared(on connection: Connection) async throws -> [String] {
        try await connection.query("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time").rows
            .map { try $0.decode(String.self, "statement") }
    }

    @Test func aRepeatedStatementIsPreparedOnce() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            for value in 1...3 {
                let row = try await connection.query(("SELECT \(value)::int + 1 AS next" as Query).prepared()).single(
                    Int.self, "next")
                #expect(row == value + 1)
            }
            #expect(try await prepared(on: connection) == ["SELECT $1::int + 1 AS next"])
        }
    }

    @Test func unmarkedStatementsAreNotPrepared() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            for value in 1...3 { _ = try await connection.query("SELECT \(value)::int AS n") }
            #expect(try await prepared(on: connection).isEmpty)
        }
    }

    @Test func theOldestStatementMakesRoomWhenTheCacheIsFull() async throws {
        try await TestDatabase.with { configuration in
            var configuration = configuration
            configuration.statementCacheCapacity = 2
            let connection = try await Connection.connect(configuration)
            for offset in 1...3 {
                _ = try await connection.query(
                    Query(unsafeSQL: "SELECT $1::int + \(offset) AS n", binds: ["1"]).prepared())
            }
            #expect(try await prepared(on: connection) == ["SELECT $1::int + 2 AS n", "SELECT $1::int + 3 AS n"])
            // The evicted one still runs: it is prepared again.
            #expect(
                try await connection.query(Query(unsafeSQL: "SELECT $1::int + 1 AS n", binds: ["1"]).prepared()).single(
                    Int.self, "n") == 2)
        }
    }

    @Test func capacityZeroPreparesNothing() async throws {
        try await TestDatabase.with { configuration in
            var configuration = configuration
            configuration.statementCacheCapacity = 0
            let connection = try await Connection.connect(configuration)
            #expect(
                try await connection.query(("SELECT \(41)::int + 1 AS n" as Query).prepared()).single(Int.self, "n")
                    == 42)
            #expect(try await prepared(on: connection).isEmpty)
        }
    }

    @Test func aTableChangedUnderAStatementIsPreparedAgain() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            try await connection.execute("CREATE TABLE things (id int)")
            try await connection.execute("INSERT INTO things VALUES (1)")
            let select = ("SELECT * FROM things WHERE id = \(1)" as Query).prepared()
            #expect(try await connection.query(select).columns.names == ["id"])
            // SELECT * now returns another row type: PostgreSQL refuses the cached plan.
            try await connection.execute("ALTER TABLE things ADD COLUMN name text DEFAULT 'one'")
            let result = try await connection.query(select)
            #expect(result.columns.names == ["id", "name"])
            #expect(try result.single(String.self, "name") == "one")
        }
    }

    @Test func aStatementTheServerForgotIsPreparedAgain() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            #expect(
                try await connection.query(("SELECT \(1)::int AS n" as Query).prepared()).single(Int.self, "n") == 1)
            try await connection.execute("DEALLOCATE ALL")
            #expect(
                try await connection.query(("SELECT \(2)::int AS n" as Query).prepared()).single(Int.self, "n") == 2)
            #expect(try await prepared(on: connection).count == 1)
        }
    }

    @Test func aStatementThatFailsToPrepareIsNotCachedAndReportsItsError() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            let error = try await #require(throws: PGError.self) {
                try await connection.query(("SELEC \(1)::int AS n" as Query).prepared())
            }
            #expect(error.sqlState == .syntaxError)
            #expect(try await prepared(on: connection).isEmpty)
        }
    }

    @Test func aStaleStatementInsideATransactionFailsWithoutRetrying() async throws {
        try await TestDatabase.with { configuration in
            let pool = ConnectionPool(configuration, maxConnections: 1)
            try await pool.execute("CREATE TABLE things (id int)")
            let select = ("SELECT * FROM things WHERE id = \(1)" as Query).prepared()
            _ = try await pool.query(select)
            try await pool.execute("ALTER TABLE things ADD COLUMN name text")
            // Retrying inside the transaction would run on in an aborted transaction: the error is the caller's.
            let error = try await #require(throws: PGError.self) {
                try await pool.transaction { connection in _ = try await connection.query(select) }
            }
            #expect(error.sqlState == SQLState("0A000"))
            // Outside a transaction the same statement recovers.
            #expect(try await pool.query(select).columns.names == ["id", "name"])
        }
    }
}
