import Foundation
import PGClient

/// Moments as people and scripts type them: ISO 8601 (`2026-11-29T05:00:00Z`, `…T07:00:00+02:00`,
/// `…T05:00:00.250Z`), or PostgreSQL's output (`2026-11-29 05:00:00+00`). Without an offset the time is
/// UTC, never the machine's zone: the same command means the same moment on every server.
enum TimestampParser {
    /// Why a text is not a timestamp.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var text: String
        /// What is wrong with a text shaped like a timestamp ("February 2026 has 28 days, not 30").
        var reason: String?

        var description: String {
            if let reason { return "invalid timestamp \"\(text)\": \(reason)" }
            return
                "invalid timestamp \"\(text)\" (use ISO 8601, e.g. 2026-11-29T05:00:00Z or 2026-11-29T07:00:00+02:00)"
        }
    }

    /// Parses `text`, refusing what names no moment: February 30 (rather than roll it over to March 2),
    /// 25:00, a UTC offset beyond PostgreSQL's ±15:59, a year outside 4713 BC to 294276 AD.
    static func parse(_ text: String) throws(Failure) -> Date {
        var normalized = text.trimmingSpaces
        // PostgreSQL's form, which the checked parser reads, takes "+00" but not "Z", and needs seconds.
        if normalized.hasSuffix("Z") || normalized.hasSuffix("z") { normalized = String(normalized.dropLast()) + "+00" }
        // A moment must start with its year ("infinity" is no moment).
        guard normalized.first?.isNumber == true else { throw Failure(text: text) }
        do {
            return try Date(checkedTimestamp: normalized)
        } catch {
            throw Failure(text: text, reason: error.reason)
        }
    }
}

/// How human output shows times and counts.
enum HumanFormat {
    /// `2026-11-29 05:10:11 UTC`.
    static func timestamp(_ date: Date) -> String {
        let text = (try? date.pgText()) ?? "\(date)"  // "2026-11-29 05:10:11.123456+00"
        return String(text.prefix(19)) + " UTC"
    }

    /// `2026-11-29 05:10:11 UTC (3m 5s ago)` or `(in 2m)`, against `now`.
    static func timestampWithAge(_ date: Date, now: Date) -> String {
        "\(timestamp(date)) (\(relative(date, now: now)))"
    }

    /// `3m 5s ago`, `in 2m`, `now`.
    static func relative(_ date: Date, now: Date) -> String {
        let seconds = now.timeIntervalSince(date)
        if abs(seconds) < 0.5 { return "now" }
        return seconds > 0
            ? "\(DurationParser.format(seconds: seconds)) ago" : "in \(DurationParser.format(seconds: -seconds))"
    }

    /// A rate with one decimal, no trailing `.0` noise for zero: `0`, `0.2`, `12.5`, `1200`.
    static func rate(_ value: Double) -> String {
        if value == 0 { return "0" }
        guard value.isFinite, abs(value) < 1e15 else { return "\(value)" }
        if value >= 100 { return String(Int(value.rounded())) }
        let tenths = (value * 10).rounded() / 10
        return tenths == 0 ? "<0.1" : String(tenths)
    }

    /// The first line of `text`, cut to `limit` characters with an ellipsis.
    static func oneLine(_ text: String, limit: Int) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let cut = line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
        return text.contains(where: \.isNewline) && line.count <= limit ? cut + " …" : cut
    }
}
