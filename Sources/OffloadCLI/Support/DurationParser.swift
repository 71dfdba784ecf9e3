import Foundation
import PGClient

/// Durations as people type them: `500ms`, `30s`, `5m`, `2h`, `7d`, `1.5h`, or combined, `1h30m`.
package enum DurationParser {
    /// Why a text is not a duration. The description omits the text itself: ArgumentParser's message
    /// (`The value '7x' is invalid for '--older-than <duration>': …`) quotes it already.
    package struct Failure: Error, Equatable, CustomStringConvertible {
        package var text: String
        package var reason: String

        package var description: String {
            "\(reason); use a number and a unit: ms, s, m, h or d (e.g. 500ms, 30s, 5m, 7d)"
        }
    }

    /// The units, longest first so `ms` is tried before `m`.
    private static let units: [(symbol: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400),
    ]

    /// Parses `text`: one or more `<number><unit>` parts, no spaces, no sign.
    package static func parse(_ text: String) throws(Failure) -> Duration {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else { throw Failure(text: text, reason: "no duration given") }
        var rest = Substring(trimmed)
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty else {
                throw Failure(text: text, reason: "expected a number at \"\(rest)\"")
            }
            guard let value = Double(number), number.first != ".", number.last != "." else {
                throw Failure(text: text, reason: "\"\(number)\" is not a number")
            }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { $0.isLetter }
            guard !unitText.isEmpty else {
                throw Failure(text: text, reason: "\"\(number)\" has no unit")
            }
            guard let unit = units.first(where: { $0.symbol == unitText.lowercased() }) else {
                throw Failure(text: text, reason: "unknown unit \"\(unitText)\"")
            }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.seconds
        }
        guard total.isFinite, total < 1e12 else { throw Failure(text: text, reason: "too long") }
        // Whole milliseconds: the smallest unit; avoids 0.1 + 0.2 noise in what we print back.
        return .milliseconds(Int64((total * 1000).rounded()))
    }

    /// Parses a duration counted back from now (`--older-than`, `--since`), refusing one that reaches
    /// before the earliest time PostgreSQL stores (4713 BC), which the server would only answer with
    /// "timestamp out of range", naming no option.
    static func parseAgo(_ text: String, now: Date = Date()) throws(Failure) -> Duration {
        let duration = try parse(text)
        let then = now.addingTimeInterval(-duration.seconds)
        guard (try? then.pgText()) != nil else {
            throw Failure(
                text: text, reason: "too long: it reaches back before 4713 BC, the earliest time PostgreSQL stores")
        }
        return duration
    }

    /// A short, exact-enough rendering for people: `350ms`, `12s`, `1.5s`, `5m 3s`, `2h 5m`, `3d 4h`.
    package static func format(seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        let magnitude = abs(seconds)
        let sign = seconds < 0 ? "-" : ""
        // Past a million years (a run_at near the ends of PostgreSQL's range), whole days as a number,
        // before `Int(magnitude)` could trap.
        if magnitude >= 3.2e13 { return sign + "\((magnitude / 86_400).rounded())d" }
        if magnitude < 1 { return sign + "\(Int((magnitude * 1000).rounded()))ms" }
        if magnitude < 10 {
            let tenths = (magnitude * 10).rounded() / 10
            return sign + (tenths == tenths.rounded() ? "\(Int(tenths))s" : "\(tenths)s")
        }
        let whole = Int(magnitude.rounded())
        let parts: [(Int, String)]
        if whole < 3600 {
            parts = [(whole / 60, "m"), (whole % 60, "s")]
        } else if whole < 86_400 {
            parts = [(whole / 3600, "h"), (whole % 3600 / 60, "m")]
        } else {
            parts = [(whole / 86_400, "d"), (whole % 86_400 / 3600, "h")]
        }
        let shown = parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }
        return sign + (shown.isEmpty ? "0s" : shown.joined(separator: " "))
    }

    /// `format(seconds:)` for a `Duration`.
    package static func format(_ duration: Duration) -> String {
        return format(seconds: duration.seconds)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
