import Testing

@testable import PGClient

@Suite("Array binds in text format, without a database")
struct ArrayEncodingTests {
    @Test func integersAreWrittenBare() throws {
        #expect(try [Int64.min, -1, 0, 42, Int64.max].pgText() == "{-9223372036854775808,-1,0,42,9223372036854775807}")
        #expect(try [Int.min, 7].pgText() == "{\(Int.min),7}")
        #expect(try [Int64]().pgText() == "{}")
        #expect(try [Int32(-5), 6].pgText() == "{-5,6}")
        #expect(try [Int64?.some(1), nil].pgText() == "{1,NULL}")
    }

    /// Bare where array_in reads the text back unchanged; quoted (with `"` and `\` escaped) where it
    /// would split, trim, unescape, or read NULL.
    @Test func textIsQuotedOnlyWhereNeeded() throws {
        let values = ["x", "é✓", "", "null", "NULL", "a b", " x", "a,b", "{}", "a\"b", "c\\d", "tab\there", "line\n"]
        let expected =
            #"{x,é✓,"","null","NULL","a b"," x","a,b","{}","a\"b","c\\d","tab"# + "\t" + #"here","line"# + "\n" + #""}"#
        #expect(try values.pgText() == expected)
        #expect(try [String?.none, "NULL"].pgText() == #"{NULL,"NULL"}"#)
    }
}
