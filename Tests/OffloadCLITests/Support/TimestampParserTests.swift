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

    @Test(arguments: ["tomorrow", "infinity", "2031-01-02", "2031-13-02T03:04:05Z", ""])
    func rejects(text: String) {
        #expect(throws: TimestampParser.Failure(text: text)) { try TimestampParser.parse(text) }
    }
}
