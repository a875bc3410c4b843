import Testing

@testable import TicketHTTP

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

    @Test func nowIsRecent() {
        #expect(Timestamp.nowMillis() > 1_700_000_000_000)
    }
}
