import Testing

@testable import PGClient

/// How interpolation turns values into binds, without a database.
@Suite("Query interpolation, without a database")
struct QueryInterpolationTests {
    struct Unencodable: PGEncodable {
        struct Failure: Error {}
        func pgText() throws -> String? { throw Failure() }
    }

    @Test func eachValueBecomesTheNextPlaceholder() {
        let name = "x'); DROP TABLE jobs; --"
        let query: Query = "SELECT \(name), \(42), \(true) WHERE a = \(name)"
        #expect(query.sql == "SELECT $1, $2, $3 WHERE a = $4")
        #expect(query.binds == [name, "42", "t", name])
        #expect(query.encodingError == nil)
    }

    @Test func nilIsNullAndUnsafeSQLIsSplicedWithoutABind() {
        let missing: Int? = nil
        let table = "offload.jobs"
        let query: Query = "SELECT * FROM \(unsafeSQL: table) WHERE x = \(missing) AND y = \(Optional(3))"
        #expect(query.sql == "SELECT * FROM offload.jobs WHERE x = $1 AND y = $2")
        #expect(query.binds == [nil, "3"])
    }

    @Test func aLiteralHasNoBinds() {
        let query: Query = "SELECT 1"
        #expect(query.sql == "SELECT 1")
        #expect(query.binds.isEmpty)
        #expect(!query.isPrepared)
        #expect(query.prepared().isPrepared)
        #expect(query.prepared().sql == query.sql)
    }

    /// A value that cannot be encoded keeps its place (so later placeholders stay numbered right), and
    /// running the query throws instead of sending NULL.
    @Test func anEncodingFailureIsKeptAndThrownWhenRun() throws {
        let query: Query = "SELECT \(1), \(Unencodable()), \(3), \(Unencodable())"
        #expect(query.sql == "SELECT $1, $2, $3, $4")
        #expect(query.binds == ["1", nil, "3", nil])
        let error = try #require(query.encodingError)
        #expect(error.code == .encoding)
        #expect(error.message.contains("$2"))
        #expect(throws: PGError.self) { try query.validate() }
    }

    @Test func aNULCharacterInABindIsRefused() {
        let query: Query = "SELECT \("ok"), \("greet\u{0}evil")"
        #expect(throws: PGError.self) { try query.validate() }
        do {
            try query.validate()
        } catch let error as PGError {
            #expect(error.message.contains("$2"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theDescriptionNeverShowsBindValues() {
        let secret = "hunter2"
        let query: Query = "SELECT \(secret)"
        #expect(query.description == "SELECT $1")
        #expect(!"\(query)".contains(secret))
    }
}
