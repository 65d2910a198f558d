import Basics
import Foundation
import Testing

struct UTCTimestampTests {
    @Test func writesSecondsPrecisionUTCAsTheFormatterDoes() {
        let formatter = ISO8601DateFormatter()
        // Across leap days, year ends, before 1970 and far ahead, with a fraction that is dropped.
        for seconds in [0.0, 951_782_400.5, 1_767_225_599.999, 1_796_526_245.25, -86_400.75, 4_102_444_800] {
            let date = Date(timeIntervalSince1970: seconds)
            let expected = formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
            #expect(UTCTimestamp.string(from: date) == expected, "\(seconds)")
        }
        #expect(UTCTimestamp.string(from: Date(timeIntervalSince1970: 1_796_526_245)) == "2026-12-06T03:04:05Z")
    }

    @Test func readsWhatItWritesAndWhatTheFormatterReads() {
        #expect(UTCTimestamp.date(from: "2026-12-06T03:04:05Z") == Date(timeIntervalSince1970: 1_796_526_245))
        #expect(UTCTimestamp.date(from: "2000-02-29T00:00:00Z") == Date(timeIntervalSince1970: 951_782_400))
        // Other internet times go through the formatter: an offset, a fraction.
        #expect(UTCTimestamp.date(from: "2026-12-06T04:04:05+01:00") == Date(timeIntervalSince1970: 1_796_526_245))
        #expect(UTCTimestamp.date(from: "2026-12-06T03:04:05.5Z") == Date(timeIntervalSince1970: 1_796_526_245.5))
    }

    @Test func refusesWhatIsNoTime() {
        for text in ["", "2026-12-06", "2026-13-06T03:04:05Z", "2026-02-30T03:04:05Z", "2026-12-06T24:00:00Z",
                     "2026-12-06T03:04:5xZ", "yesterday", "2026-12-06 03:04:05Z"] {
            #expect(UTCTimestamp.date(from: text) == nil, "\(text)")
        }
    }
}
