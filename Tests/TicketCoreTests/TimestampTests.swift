import Testing

@testable import TicketCore

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
    ])
    func formatsUTCWithMilliseconds(millis: Int64, expected: String) {
        #expect(Timestamp.iso8601(millis: millis) == expected)
    }

    @Test func fieldsAreTheUTCCalendarDateAndTime() {
        #expect(
            Timestamp.fields(millis: 951_782_400_123)
                == Timestamp.Fields(year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0, millisecond: 123)
        )
        #expect(
            Timestamp.fields(millis: -1)
                == Timestamp.Fields(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, millisecond: 999)
        )
    }

    /// RFC 9110's own example, the epoch, a leap day and the moment before the epoch, each on its weekday.
    @Test(arguments: [
        (Int64(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (951_782_400_123, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    ])
    func formatsHTTPDates(millis: Int64, expected: String) {
        #expect(Timestamp.httpDate(millis: millis) == expected)
    }

    @Test func nowIsRecent() {
        #expect(Timestamp.nowMillis() > 1_700_000_000_000)
    }
}
