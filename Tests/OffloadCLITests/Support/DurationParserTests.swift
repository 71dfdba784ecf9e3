import Testing

@testable import OffloadCLI

@Suite("DurationParser")
struct DurationParserTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("5m", .seconds(300)), ("2h", .seconds(7200)),
        ("7d", .seconds(604_800)), ("1.5h", .seconds(5400)), ("1h30m", .seconds(5400)), ("0s", .zero),
        (" 10S ", .seconds(10)), ("2d12h", .seconds(216_000)), ("0.25s", .milliseconds(250)),
    ])
    func parses(text: String, expected: Duration) throws {
        #expect(try DurationParser.parse(text) == expected)
    }

    @Test(arguments: [
        ("7x", "unknown unit \"x\""),
        ("7", "\"7\" has no unit"),
        ("", "no duration given"),
        ("m", "expected a number at \"m\""),
        ("-5m", "expected a number at \"-5m\""),
        ("5m-", "expected a number at \"-\""),
        ("1.2.3s", "\"1.2.3\" is not a number"),
        (".5s", "\".5\" is not a number"),
        ("5 m", "\"5\" has no unit"),
        ("99999999999d", "too long"),
    ])
    func rejects(text: String, reason: String) {
        #expect(throws: DurationParser.Failure(text: text, reason: reason)) { try DurationParser.parse(text) }
    }

    @Test func failureExplainsTheUnits() {
        let failure = DurationParser.Failure(text: "7x", reason: "unknown unit \"x\"")
        #expect(
            failure.description
                == "unknown unit \"x\"; use a number and a unit: ms, s, m, h or d (e.g. 500ms, 30s, 5m, 7d)")
    }

    @Test(arguments: [
        (0.35, "350ms"), (0, "0ms"), (1, "1s"), (1.25, "1.3s"), (12, "12s"), (59.6, "1m"), (303, "5m 3s"),
        (3600, "1h"), (7500, "2h 5m"), (604_800, "7d"), (273_600, "3d 4h"), (-90, "-1m 30s"),
    ])
    func formats(seconds: Double, expected: String) {
        #expect(DurationParser.format(seconds: seconds) == expected)
    }
}
