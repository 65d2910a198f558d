import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Seconds-precision UTC times in ISO 8601's internet form, `2026-12-06T03:04:05Z`: written and read
/// without a date formatter.
///
/// The registry file, `--json` output and the server write every time this way. Creating an
/// `ISO8601DateFormatter` costs about 0.1 ms (it builds an ICU calendar), which a no-op `lunette run`
/// paid for every registered metric, three times over. Reading also accepts what
/// `ISO8601DateFormatter` reads in its default options (an offset such as `+01:00` instead of `Z`,
/// fractional seconds), through that formatter, so a hand-edited time still parses.
public enum UTCTimestamp {
    /// `date`, rounded down to the second, as `YYYY-MM-DDTHH:MM:SSZ`.
    public static func string(from date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return ISO8601DateFormatter().string(from: date) }
        var out = ""
        out.reserveCapacity(20)
        func append(_ value: Int32, width: Int) {
            let digits = String(value)
            if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
            out += digits
        }
        append(parts.tm_year + 1900, width: 4)
        out += "-"
        append(parts.tm_mon + 1, width: 2)
        out += "-"
        append(parts.tm_mday, width: 2)
        out += "T"
        append(parts.tm_hour, width: 2)
        out += ":"
        append(parts.tm_min, width: 2)
        out += ":"
        append(parts.tm_sec, width: 2)
        out += "Z"
        return out
    }

    /// The time `text` names: `YYYY-MM-DDTHH:MM:SSZ` directly (a day or time that does not exist, such
    /// as 30 February or 24:00, is none), any other ISO 8601 internet time through
    /// `ISO8601DateFormatter`; `nil` when it is none.
    public static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[19] == UInt8(ascii: "Z")
        else { return slowDate(from: text) }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int32(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        // timegm normalises 30 February into March; such a day is no date (the formatter is lenient there).
        let seconds = timegm(&parts)
        guard parts.tm_mday == day, parts.tm_mon == month - 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func slowDate(from text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
