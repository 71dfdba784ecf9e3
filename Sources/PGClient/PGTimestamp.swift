import Foundation

/// `timestamptz` ⇄ `Date`. Connections set `TimeZone=UTC` and `DateStyle=ISO`, so values arrive as
/// `2026-11-29 04:30:22.123456+00`; other offsets, `BC` and `±infinity` are understood too.
/// A `timestamp` without time zone is read as UTC.
extension Date: PGEncodable, PGDecodable {
    /// Throws for a date PostgreSQL cannot represent (beyond 294276 AD or before 4713 BC, or NaN),
    /// rather than send NULL, which a `coalesce(…, now())` would silently turn into "now".
    public func pgText() throws -> String? {
        if self == .distantFuture { return "infinity" }
        if self == .distantPast { return "-infinity" }
        let totalMicros = (timeIntervalSince1970 * 1_000_000).rounded()
        // PostgreSQL's timestamptz range starts in 4714 BC; the end is capped below Int64 microseconds.
        guard totalMicros.isFinite, totalMicros > -210_866_803_200e6, totalMicros < 9.2e18 else {
            throw PGError(
                .encoding,
                "the date \(timeIntervalSince1970) seconds from 1970 is out of range for PostgreSQL (4713 BC to 294276 AD)"
            )
        }
        let micros = Int64(totalMicros)
        let microsPerDay: Int64 = 86_400_000_000
        var days = micros / microsPerDay
        var microsOfDay = micros % microsPerDay
        if microsOfDay < 0 {
            microsOfDay += microsPerDay
            days -= 1
        }
        let (year, month, day) = CivilCalendar.date(fromDaysSinceEpoch: days)
        let seconds = microsOfDay / 1_000_000
        let fraction = microsOfDay % 1_000_000
        let bc = year <= 0
        let shownYear = bc ? 1 - year : year
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        var text = "\(pad(shownYear, 4))-\(pad(month, 2))-\(pad(day, 2)) "
        text += "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
        text += ".\(pad(fraction, 6))+00"
        if bc { text += " BC" }
        return text
    }

    public init(pgText text: String) throws {
        switch text {
        case "infinity": self = .distantFuture
        case "-infinity": self = .distantPast
        default:
            // Native strings are contiguous UTF-8: parse in place rather than copy into an array.
            var text = text
            let parsed = text.withUTF8 { PGTimestampParser.parse($0) }
            guard let date = parsed else {
                throw PGError.cannotDecode(text, as: "Date")
            }
            self = date
        }
    }
}

/// Parses PostgreSQL's ISO timestamp output without Foundation formatters (they are slow and
/// locale-sensitive).
enum PGTimestampParser {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        canonicalUTC(bytes) ?? general(bytes)
    }

    /// The form a UTC session prints, `2026-11-29 04:30:22.123456+00`, read at fixed positions: the
    /// worker reads one per claimed job. Anything else is left to `general`.
    static func canonicalUTC(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        let count = bytes.count
        guard count >= 22, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[count - 3] == UInt8(ascii: "+"), bytes[count - 2] == UInt8(ascii: "0"),
            bytes[count - 1] == UInt8(ascii: "0")
        else { return nil }
        var valid = true
        func digits(_ start: Int, _ length: Int) -> Int64 {
            var value: Int64 = 0
            for index in start..<(start + length) {
                let digit = bytes[index] &- UInt8(ascii: "0")
                if digit > 9 { valid = false }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        let year = digits(0, 4)
        let month = digits(5, 2)
        let day = digits(8, 2)
        let seconds = digits(11, 2) * 3600 + digits(14, 2) * 60 + digits(17, 2)
        var micros: Int64 = 0
        let fractionEnd = count - 3
        if fractionEnd > 19 {
            let fractionDigits = fractionEnd - 20
            guard bytes[19] == UInt8(ascii: "."), (1...6).contains(fractionDigits) else { return nil }
            micros = digits(20, fractionDigits)
            for _ in fractionDigits..<6 { micros *= 10 }
        } else if fractionEnd != 19 {
            return nil
        }
        guard valid, (1...12).contains(month), (1...31).contains(day) else { return nil }
        let days = CivilCalendar.daysSinceEpoch(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + seconds) + Double(micros) / 1_000_000)
    }

    static func general(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard let fields = fields(bytes), fields.problem == nil else { return nil }
        return fields.date
    }

    /// The fields of `YYYY-MM-DD[ T]HH:MM:SS[.ffffff][±HH[:MM[:SS]]][ BC]`, unchecked; nil when the text
    /// has another shape. The year has at most 9 digits, so no arithmetic on it can overflow.
    static func fields(_ bytes: UnsafeBufferPointer<UInt8>) -> TimestampFields? {
        var index = 0
        func number(maxDigits: Int = 18) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while index < bytes.count, count < maxDigits, bytes[index] >= 48, bytes[index] <= 57 {
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
                count += 1
            }
            return count == 0 ? nil : value
        }
        func expect(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }
        guard var year = number(maxDigits: 9), expect("-"), let month = number(maxDigits: 2), expect("-"),
            let day = number(maxDigits: 2), expect(" ") || expect("T"),
            let hour = number(maxDigits: 2), expect(":"), let minute = number(maxDigits: 2), expect(":"),
            let second = number(maxDigits: 2)
        else { return nil }
        var micros: Int64 = 0
        if expect(".") {
            var scale: Int64 = 100_000
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                micros += Int64(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = number(maxDigits: 2) else { return nil }
            var offset = offsetHours * 3600
            if expect(":") {
                guard let offsetMinutes = number(maxDigits: 2), offsetMinutes < 60 else { return nil }
                offset += offsetMinutes * 60
            }
            if expect(":") {
                guard let offsetSecs = number(maxDigits: 2), offsetSecs < 60 else { return nil }
                offset += offsetSecs
            }
            offsetSeconds = sign * offset
        }
        if index + 3 <= bytes.count, bytes[index...].elementsEqual(" BC".utf8) {
            year = 1 - year
            index += 3
        }
        guard index == bytes.count else { return nil }
        return TimestampFields(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, micros: micros,
            offsetSeconds: offsetSeconds
        )
    }
}

/// A timestamp's fields as written (the year astronomical: 1 BC is 0), before any check.
struct TimestampFields {
    var year, month, day, hour, minute, second, micros, offsetSeconds: Int64

    /// PostgreSQL's limit on a UTC offset: 15:59:59 either way (`TZDISP_LIMIT`).
    static let maximumOffsetSeconds: Int64 = 15 * 3600 + 59 * 60 + 59

    /// Why these fields name no moment, or nil: February 30 is not March 2, and +99:00 is no offset.
    /// `24:00:00` and a leap second (`:60`) are taken, as PostgreSQL takes them.
    var problem: String? {
        guard (1...12).contains(month) else { return "there is no month \(month)" }
        let daysInMonth = CivilCalendar.daysInMonth(year: year, month: month)
        guard (1...daysInMonth).contains(day) else {
            return "\(CivilCalendar.monthNames[Int(month) - 1]) \(year) has \(daysInMonth) days, not \(day)"
        }
        guard hour < 24 || (hour == 24 && minute == 0 && second == 0 && micros == 0),
            minute < 60, second <= 60
        else {
            func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
            return "\(two(hour)):\(two(minute)):\(two(second)) is not a time of day"
        }
        guard abs(offsetSeconds) <= Self.maximumOffsetSeconds else {
            return "a UTC offset must be between -15:59 and +15:59"
        }
        return nil
    }

    /// The moment, for fields without a `problem`.
    var date: Date {
        let days = CivilCalendar.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }
}

extension Date {
    /// Why a typed timestamp is refused.
    package struct TimestampTextError: Error, Sendable, Equatable {
        /// What is wrong, e.g. "February 2026 has 28 days, not 30"; nil when the text is no timestamp.
        package let reason: String?
    }

    /// Parses a timestamp a person typed, in PostgreSQL's or ISO 8601's form with a numeric offset
    /// (`2026-11-29 05:00:00+00`, `2026-11-29T07:00:00+02:00`), checking every field and PostgreSQL's
    /// range (4713 BC to 294276 AD), where the decoder of PostgreSQL's own output trusts it.
    package init(checkedTimestamp text: String) throws(TimestampTextError) {
        var text = text
        let fields = text.withUTF8 { PGTimestampParser.fields($0) }
        guard let fields else { throw TimestampTextError(reason: nil) }
        if let problem = fields.problem { throw TimestampTextError(reason: problem) }
        let date = fields.date
        guard (try? date.pgText()) != nil else {
            throw TimestampTextError(reason: "it is outside PostgreSQL's range (4713 BC to 294276 AD)")
        }
        self = date
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's days-from-civil algorithms).
enum CivilCalendar {
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// 28 to 31.
    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        let next =
            month == 12
            ? daysSinceEpoch(year: year + 1, month: 1, day: 1) : daysSinceEpoch(year: year, month: month + 1, day: 1)
        return next - daysSinceEpoch(year: year, month: month, day: 1)
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    static func date(fromDaysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
