import Foundation
import Testing

@testable import OffloadCLI

@Suite("TimestampParser")
struct TimestampParserTests {
    @Test(arguments: [
        "2031-01-02T03:04:05Z", "2031-01-02T05:04:05+02:00", "2031-01-02 03:04:05+00", "2031-01-02T03:04:05",
        "2031-01-01T22:04:05-05", "2031-01-02T03:04:05.000Z",
    ])
    func parsesISO8601AsUTCUnlessAnOffsetIsGiven(text: String) throws {
        #expect(try TimestampParser.parse(text) == Date(timeIntervalSince1970: 1_925_089_445))
    }

    @Test(arguments: ["tomorrow", "infinity", "2031-01-02", ""])
    func rejects(text: String) {
        #expect(throws: TimestampParser.Failure(text: text)) { try TimestampParser.parse(text) }
    }

    /// Issue 13, finding 9: February 30 was March 2, and +99:00 was taken.
    @Test(arguments: [
        ("2026-02-30T00:00:00Z", "February 2026 has 28 days, not 30"),
        ("2031-13-02T03:04:05Z", "there is no month 13"),
        ("2026-01-01T00:00:00+99:00", "a UTC offset must be between -15:59 and +15:59"),
        ("2026-01-01T00:00:00+05:75", nil),
        ("999999999999999999-01-01T00:00:00Z", nil),
        ("300000-01-01T00:00:00Z", "it is outside PostgreSQL's range (4713 BC to 294276 AD)"),
    ])
    func rejectsImpossibleMoments(text: String, reason: String?) {
        #expect(throws: TimestampParser.Failure(text: text, reason: reason)) { try TimestampParser.parse(text) }
    }

    @Test func failureNamesTheReason() {
        let failure = TimestampParser.Failure(text: "2026-02-30T00:00:00Z", reason: "February 2026 has 28 days, not 30")
        #expect(failure.description == #"invalid timestamp "2026-02-30T00:00:00Z": February 2026 has 28 days, not 30"#)
    }
}
