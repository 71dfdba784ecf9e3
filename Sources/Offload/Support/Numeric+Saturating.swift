import Foundation

extension FixedWidthInteger {
    /// `value` rounded toward zero and clamped to the type's range, NaN as 0: a conversion that cannot
    /// trap, for values that come from the database or from a user.
    ///
    /// `Int64(someDouble)` stops the process when the value is out of range (a job whose `run_at` is
    /// 1700-01-01 made a queue-wait of -1e19 ns); this saturates instead.
    package init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value <= Double(Self.min) {
            self = .min
        } else if value >= Double(Self.max) {
            // Double(Int64.max) rounds up to 2^63, so `>=` also catches the values just below it.
            self = .max
        } else {
            self.init(value)
        }
    }
}

extension Date {
    /// Nanoseconds from `earlier` to this date, clamped to `Int64`'s range: a `run_at` of 1700-01-01
    /// or ±infinity read from the database gives a huge wait, not a crash.
    package func nanosecondsSince(_ earlier: Date) -> Int64 {
        Int64(saturating: timeIntervalSince(earlier) * 1e9)
    }
}
