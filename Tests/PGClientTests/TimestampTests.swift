import Foundation
import Testing

@testable import PGClient

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
        #expect(
            ConnectionConfiguration.redact("postgres://db/x?password=s3cret&sslmode=off")
                == "postgres://db/x?password=***&sslmode=off")
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

/// Issue 13, findings 2 and 9: what the database or a user gives never crashes a reader, and a typed
/// timestamp that names no moment is refused instead of rolled over.
@Suite("Timestamps at the edges")
struct TimestampEdgeTests {
    /// PostgreSQL's extremes, decoded without a trap (and `-infinity` as distantPast).
    @Test(arguments: [
        "294276-12-31 23:59:59.999999+00", "4714-11-24 00:00:00+00 BC", "0001-01-01 00:00:00+00 BC",
        "1700-01-01 00:00:00+00", "-infinity", "infinity",
    ])
    func extremeServerValuesDecode(text: String) throws {
        let date = try Date(pgText: text)
        #expect(date.timeIntervalSince1970.isFinite)
    }

    /// A year with more digits than any PostgreSQL prints is refused, not overflowed.
    @Test func hugeYearsAreRefusedNotOverflowed() {
        #expect(throws: PGError.self) { try Date(pgText: "999999999999999999-01-01 00:00:00+00") }
        #expect(throws: Date.TimestampTextError.self) {
            try Date(checkedTimestamp: "999999999999999999-01-01 00:00:00+00")
        }
    }

    @Test(arguments: [
        ("2026-02-30 00:00:00+00", "February 2026 has 28 days, not 30"),
        ("2024-02-30 00:00:00+00", "February 2024 has 29 days, not 30"),
        ("2026-04-31 00:00:00+00", "April 2026 has 30 days, not 31"),
        ("2026-13-01 00:00:00+00", "there is no month 13"),
        ("2026-01-01 25:00:00+00", "25:00:00 is not a time of day"),
        ("2026-01-01 00:00:00+99:00", "a UTC offset must be between -15:59 and +15:59"),
        ("2026-01-01 00:00:00-16", "a UTC offset must be between -15:59 and +15:59"),
        ("300000-01-01 00:00:00+00", "it is outside PostgreSQL's range (4713 BC to 294276 AD)"),
        ("5000-01-01 00:00:00+00 BC", "it is outside PostgreSQL's range (4713 BC to 294276 AD)"),
    ])
    func impossibleTimestampsAreRefusedWithAReason(text: String, reason: String) {
        #expect(throws: Date.TimestampTextError(reason: reason)) { try Date(checkedTimestamp: text) }
    }

    @Test(arguments: [
        "2024-02-29 12:00:00+00", "2026-01-01 24:00:00+00", "2026-01-01 00:00:00+15:59", "2026-06-30 23:59:60+00",
    ])
    func possibleTimestampsAreTaken(text: String) throws {
        _ = try Date(checkedTimestamp: text)
    }
}
