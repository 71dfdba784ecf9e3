import ArgumentParser
import Foundation
import Offload
import PGClient
import Testing

@testable import OffloadCLI

/// Issue 13, findings 2 and 9: values from the database or a user at the edges give a clear error
/// naming what is wrong, or are shown; none stops the process.
@Suite("Extreme values in the CLI")
struct ExtremeValueTests {
    @Test(arguments: [1e300, -1e300, 3.2e13, 9.3e18, 1e15])
    func durationsOfAnySizeFormat(seconds: Double) {
        #expect(!DurationParser.format(seconds: seconds).isEmpty)
    }

    @Test(arguments: [Double.infinity, 1e300, 1e18])
    func ratesOfAnySizeFormat(value: Double) {
        #expect(!HumanFormat.rate(value).isEmpty)
    }

    @Test func watchIntervalsBeyondADayAreRefused() throws {
        #expect(throws: ValidationError.self) { try StatusCommand.parseInterval("1e300") }
        #expect(try StatusCommand.parseInterval("0.5") == .milliseconds(500))
    }

    /// `--older-than` and `--since` reaching before 4713 BC were "timestamp out of range" from the server.
    @Test func durationsAgoStopAtPostgreSQLsEarliestTime() throws {
        #expect(try DurationParser.parseAgo("7d") == .seconds(604_800))
        let failure = DurationParser.Failure(
            text: "9999999d", reason: "too long: it reaches back before 4713 BC, the earliest time PostgreSQL stores")
        #expect(throws: failure) { try DurationParser.parseAgo("9999999d") }
        #expect(throws: DurationParser.Failure.self) { try JobsRetryCommand.parseSince("9999999d") }
        #expect(throws: TimestampParser.Failure.self) { try JobsRetryCommand.parseSince("2026-02-30T00:00:00Z") }
    }

    @Test func optionsNameTheOptionInTheirErrors() {
        let prune = PruneCommand.parse(["--older-than", "9999999d"])
        #expect(prune.contains("--older-than"), "\(prune)")
        #expect(prune.contains("4713 BC"), "\(prune)")
        let enqueue = EnqueueCommand.parse(["f", "--run-at", "2026-02-30T00:00:00Z"])
        #expect(enqueue.contains("--run-at"), "\(enqueue)")
        #expect(enqueue.contains("February 2026 has 28 days"), "\(enqueue)")
    }

    /// jsonb cannot store U+0000: refused in the CLI, saying where.
    @Test func nulInArgumentsIsRefusedWithItsPath() {
        #expect(throws: (any Error).self) {
            try JSONArgument.object(#"{"a": {"b": ["x", "\u0000"]}}"#, role: "arguments")
        }
        do {
            _ = try JSONArgument.object(#"{"a": {"b": ["x", "y\u0000"]}}"#, role: "arguments")
        } catch {
            #expect("\(error)".hasPrefix("arguments: the string at $.a.b[1] contains \\u0000 (NUL)"), "\(error)")
        }
        do {
            _ = try JSONArgument.object(#"{"k\u0000": 1}"#, role: "event data")
        } catch {
            #expect("\(error)".hasPrefix(#"event data: the string at $.k\u0000 contains"#), "\(error)")
        }
        #expect(throws: Never.self) { try JSONArgument.object(#"{"a": "\u0001 is fine"}"#, role: "arguments") }
    }

    @Test func saturatingConversionsNeverTrap() {
        #expect(Int64(saturating: 1e300) == .max)
        #expect(Int64(saturating: -1e300) == .min)
        #expect(Int64(saturating: .nan) == 0)
        #expect(Int64(saturating: 9.223372036854775807e18) == .max)
        #expect(Int32(saturating: 1.5) == 1)
        #expect(Duration.seconds(Int64.max).saturatingNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).saturatingNanoseconds == .min)
        #expect(Duration.milliseconds(1500).saturatingNanoseconds == 1_500_000_000)
        // The queue wait of a job whose run_at is 1700-01-01 or -infinity (finding 2).
        let runAt = Date(timeIntervalSince1970: -8_520_336_000)
        #expect(Date().nanosecondsSince(runAt) == .max)
        #expect(Date().nanosecondsSince(.distantPast) == .max)
        #expect(Date.distantPast.nanosecondsSince(.distantFuture) == .min)
    }
}

extension ParsableCommand {
    /// The error message parsing `arguments` gives, or "" when they parse.
    static func parse(_ arguments: [String]) -> String {
        do {
            _ = try parseAsRoot(arguments)
            return ""
        } catch {
            return fullMessage(for: error)
        }
    }
}
