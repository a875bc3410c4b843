#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in milliseconds since 1970, its UTC calendar fields, its ISO 8601 form
/// (`2025-03-01T12:00:00.123Z`) and its HTTP form (`Sat, 01 Mar 2025 12:00:00 GMT`).
///
/// Hand-written rather than a `DateFormatter` so that it is cheap, allocation-light and safe to call from any thread:
/// every purchase response and every log line formats one, and a ticket prints its purchase time.
public enum Timestamp {
    /// A moment's UTC calendar date (proleptic Gregorian) and time of day.
    public struct Fields: Sendable, Equatable {
        public let year: Int64
        /// 1 to 12.
        public let month: Int64
        /// 1 to 31.
        public let day: Int64
        public let hour: Int64
        public let minute: Int64
        public let second: Int64
        public let millisecond: Int64
    }

    /// The current wall-clock time in milliseconds since 1970.
    public static func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// The UTC date and time `millis` milliseconds after (or, negative, before) 1970-01-01T00:00:00Z.
    public static func fields(millis: Int64) -> Fields {
        let (days, msOfDay) = Self.floorDivide(millis, 86_400_000)
        let (year, month, day) = Self.civil(fromDays: days)
        return Fields(
            year: year,
            month: month,
            day: day,
            hour: msOfDay / 3_600_000,
            minute: msOfDay / 60_000 % 60,
            second: msOfDay / 1000 % 60,
            millisecond: msOfDay % 1000
        )
    }

    /// `millis` as UTC ISO 8601 with milliseconds, e.g. `1970-01-01T00:00:00.000Z`.
    public static func iso8601(millis: Int64) -> String {
        let time = Self.fields(millis: millis)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        if time.year < 0 || time.year > 9999 {
            // Outside the four-digit range ISO 8601 needs an explicit sign; real timestamps never get here.
            bytes.append(time.year < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            Self.appendDigits(abs(time.year), width: 6, to: &bytes)
        } else {
            Self.appendDigits(time.year, width: 4, to: &bytes)
        }
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(time.month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(time.day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        Self.appendTimeOfDay(time, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        Self.appendDigits(time.millisecond, width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `millis` as an HTTP date, the IMF-fixdate of RFC 9110 §5.6.7, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, for a
    /// `Date` header written without Hummingbird.
    public static func httpDate(millis: Int64) -> String {
        let time = Self.fields(millis: millis)
        let weekday = Int(Self.floorDivide(Self.floorDivide(millis, 86_400_000).quotient + 4, 7).remainder)  // 1970-01-01 was a Thursday
        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        bytes.append(contentsOf: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][weekday].utf8)
        bytes.append(contentsOf: ", ".utf8)
        Self.appendDigits(time.day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][Int(time.month) - 1].utf8)
        bytes.append(UInt8(ascii: " "))
        Self.appendDigits(max(time.year, 0), width: 4, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        Self.appendTimeOfDay(time, to: &bytes)
        bytes.append(contentsOf: " GMT".utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Appends `time`'s `HH:MM:SS`.
    private static func appendTimeOfDay(_ time: Fields, to bytes: inout [UInt8]) {
        Self.appendDigits(time.hour, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDigits(time.minute, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDigits(time.second, width: 2, to: &bytes)
    }

    /// Appends `value` (not negative) in decimal, left-padded with zeros to `width` digits, without a temporary
    /// buffer: a log line and a purchase response each format a timestamp.
    private static func appendDigits(_ value: Int64, width: Int, to bytes: inout [UInt8]) {
        var divisor: Int64 = 1
        var digits = 1
        while digits < width || value / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
