import Foundation
import PGClient
import Testing

@Suite("Values round-trip through PostgreSQL")
struct ValueRoundTripTests {
    struct Payload: Codable, Equatable, Sendable {
        var name: String
        var count: Int
        var tags: [String]
    }

    @Test func everySupportedTypeRoundTrips() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            try await connection.execute(
                """
                CREATE TABLE sample (
                    i int, b bigint, s smallint, t text, flag bool, d double precision, n numeric,
                    at timestamptz, raw bytea, doc jsonb, ids bigint[], names text[], u uuid
                )
                """)
            let at = Date(timeIntervalSince1970: 1_764_386_622.123456)
            let payload = Payload(name: "Zoë 🚀", count: 3, tags: ["a", "b,c", "\"q\""])
            let bytes = Data([0, 1, 2, 254, 255])
            let uuid = UUID()
            let decimal = Decimal(string: "12345678901234567890.123456789")!
            try await connection.execute(
                """
                INSERT INTO sample VALUES (\(Int32(-7)), \(Int64.max), \(Int16(12)), \("héllo, wörld ✓"),
                    \(true), \(3.25), \(decimal), \(at), \(bytes), \(try PGJSON(payload))::jsonb,
                    \([Int64(1), 2, 3]), \(["x", "y z", "NULL", "{}", "a\\b"]), \(uuid))
                """)
            let row = try #require(try await connection.query("SELECT * FROM sample").first)
            #expect(try row.decode(Int32.self, "i") == -7)
            #expect(try row.decode(Int64.self, "b") == Int64.max)
            #expect(try row.decode(Int16.self, "s") == 12)
            #expect(try row.decode(String.self, "t") == "héllo, wörld ✓")
            #expect(try row.decode(Bool.self, "flag") == true)
            #expect(try row.decode(Double.self, "d") == 3.25)
            #expect(try row.decode(Decimal.self, "n") == decimal)
            #expect(try row.decode(String.self, "n") == "12345678901234567890.123456789")
            let decodedAt = try row.decode(Date.self, "at")
            #expect(abs(decodedAt.timeIntervalSince1970 - at.timeIntervalSince1970) < 0.000_001)
            #expect(try row.decode(Data.self, "raw") == bytes)
            #expect(try row.decodeJSON(Payload.self, "doc") == payload)
            #expect(try row.decode([Int64].self, "ids") == [1, 2, 3])
            #expect(try row.decode([String].self, "names") == ["x", "y z", "NULL", "{}", "a\\b"])
            #expect(try row.decode(UUID.self, "u") == uuid)
        }
    }

    @Test func nullsDecodeAsNilAndOnlyAsOptional() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            let missing: String? = nil
            let row = try #require(
                try await connection.query(
                    "SELECT \(missing)::text AS t, NULL::bigint AS b, ARRAY[1, NULL]::bigint[] AS a"
                ).first
            )
            #expect(try row.decode(String?.self, "t") == nil)
            #expect(try row.decode(Int64?.self, "b") == nil)
            #expect(try row.decode([Int64?].self, "a") == [1, nil])
            let error = try #require(throws: PGError.self) { try row.decode(Int64.self, "b") }
            #expect(error.code == .decoding)
            #expect(error.column == "b")
        }
    }

    @Test func emptyArraysAndLargeTextRoundTrip() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            let big = String(repeating: "0123456789abcdef", count: 65_536)  // 1 MiB
            let empty: [Int64] = []
            let row = try #require(
                try await connection.query(
                    "SELECT \(big)::text AS big, \(empty)::bigint[] AS ids, \([String]())::text[] AS names"
                ).first
            )
            #expect(try row.decode(String.self, "big") == big)
            #expect(try row.decode([Int64].self, "ids") == [])
            #expect(try row.decode([String].self, "names") == [])
        }
    }

    @Test func hostileStringsStayData() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            try await connection.execute("CREATE TABLE notes (body text)")
            let hostile = ["'; DROP TABLE notes; --", "$1", "\"quoted\" 'single'", "semi;colon", "\\x00 back\\slash"]
            for text in hostile {
                try await connection.execute("INSERT INTO notes VALUES (\(text))")
            }
            let stored = try await connection.query("SELECT body FROM notes").rows.map {
                try $0.decode(String.self, "body")
            }
            #expect(Set(stored) == Set(hostile))
        }
    }

    @Test func wrongTypeOrMissingColumnThrowsNamingTheColumn() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            let row = try #require(try await connection.query("SELECT 'abc'::text AS word").first)
            let wrongType = try #require(throws: PGError.self) { try row.decode(Int.self, "word") }
            #expect(wrongType.column == "word")
            #expect(wrongType.description.contains("word"))
            let missing = try #require(throws: PGError.self) { try row.decode(Int.self, "nope") }
            #expect(missing.column == "nope")
        }
    }
}
