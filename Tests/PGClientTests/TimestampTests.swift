import Foundation
@testable import PGClient
import Testing

@Suite("Timestamp text format, without a database")
struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01 00:00:00+00", 0.0),
        ("2026-11-29 04:30:22.5+00", 1_795_926_622.5),
        ("2026-11-29 06:30:22.5+02", 1_795_926_622.5),
        ("2026-11-29 00:00:22.5-04:30", 1_795_926_622.5),
        ("1969-12-31 23:59:59.999999+00", -0.000001),
    ])
    func parsesServerOutput(text: String, seconds: Double) throws {
        let date = try Date(pgText: text)
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test func encodesWhatItParses() throws {
        for seconds in [0.0, 1_795_926_622.123456, -86_400.5, 253_402_300_799.0] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = try #require(try date.pgText())
            #expect(abs(try Date(pgText: text).timeIntervalSince1970 - seconds) < 0.000_001)
        }
    }

    /// The fixed-position fast path reads what the general parser reads, and declines what it can't.
    @Test(arguments: [
        "2026-11-29 04:30:22+00", "2026-11-29 04:30:22.5+00", "2026-11-29 04:30:22.123456+00",
        "0001-01-01 00:00:00+00", "2024-02-29 23:59:59.999999+00", "1969-12-31 23:59:59.000001+00",
    ])
    func canonicalFastPathAgreesWithTheGeneralParser(text: String) throws {
        var text = text
        let (fast, general) = text.withUTF8 { (PGTimestampParser.canonicalUTC($0), PGTimestampParser.general($0)) }
        #expect(fast != nil)
        #expect(fast == general)
    }

    @Test(arguments: [
        "2026-11-29 04:30:22.5+02", "0044-03-15 12:00:00+00 BC", "12026-11-29 04:30:22+00", "2026-11-29 04:30:2x+00",
        "2026-11-29 04:30:22.1234567+00", "2026-11-29 04:30:22.+00",
    ])
    func canonicalFastPathDeclinesOtherForms(text: String) {
        var text = text
        #expect(text.withUTF8 { PGTimestampParser.canonicalUTC($0) } == nil)
    }

    @Test func rejectsGarbage() {
        #expect(throws: PGError.self) { try Date(pgText: "yesterday") }
        #expect(throws: PGError.self) { try Date(pgText: "2026-13-01 00:00:00+00") }
    }

    @Test func infinityMapsToDistantDates() throws {
        #expect(try Date(pgText: "infinity") == .distantFuture)
        #expect(try Date(pgText: "-infinity") == .distantPast)
    }

    @Test func passwordsAreRedacted() {
        #expect(ConnectionConfiguration.redact("postgres://app:s3cret@db:5432/x") == "postgres://app:***@db:5432/x")
        #expect(ConnectionConfiguration.redact("host=db password=s3cret user=app") == "host=db password=*** user=app")
        #expect(ConnectionConfiguration.redact("postgres://db/x?password=s3cret&sslmode=off") == "postgres://db/x?password=***&sslmode=off")
        #expect(ConnectionConfiguration.redact("postgres://app@db/x") == "postgres://app@db/x")
    }
}

@Suite("Timestamps out of range")
struct TimestampRangeTests {
    /// Sending NULL for such a date once made `coalesce(run_at, now())` schedule the job for now.
    @Test(arguments: [1e16, -1e16, Double.nan, Double.infinity])
    func datesPostgreSQLCannotHoldAreAnError(seconds: Double) {
        #expect(throws: PGError.self) { try Date(timeIntervalSince1970: seconds).pgText() }
    }
}
